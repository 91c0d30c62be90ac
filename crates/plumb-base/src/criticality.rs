//! How critical a system or function is, in the words DORA uses (Art. 3(22) critical or
//! important functions): one type instead of strings with their allowed values written in
//! several places.

use std::fmt;
use std::str::FromStr;

/// Criticality of a function or of the system supporting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Criticality {
    /// Supports a critical function.
    #[default]
    Critical,
    /// Supports an important function.
    Important,
    /// Supports neither.
    None,
}

impl Criticality {
    /// Every value, most critical first.
    pub const ALL: [Criticality; 3] = [
        Criticality::Critical,
        Criticality::Important,
        Criticality::None,
    ];

    /// `critical`, `important` or `none`.
    pub fn name(self) -> &'static str {
        match self {
            Criticality::Critical => "critical",
            Criticality::Important => "important",
            Criticality::None => "none",
        }
    }

    /// The value named exactly (lower case), as configurations and policies write it.
    pub fn from_name(s: &str) -> Option<Criticality> {
        Criticality::ALL.into_iter().find(|c| c.name() == s)
    }

    /// Whether it supports a critical or important function.
    pub fn is_critical_or_important(self) -> bool {
        self != Criticality::None
    }
}

impl fmt::Display for Criticality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Criticality {
    type Err = String;

    /// Any case; anything else is refused with the allowed values.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Criticality::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("criticality is {s:?}; use critical, important or none"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criticality_reads_any_case_and_refuses_the_rest() {
        assert_eq!("Critical".parse::<Criticality>(), Ok(Criticality::Critical));
        assert_eq!(" none ".parse::<Criticality>(), Ok(Criticality::None));
        assert!(
            "vital"
                .parse::<Criticality>()
                .unwrap_err()
                .contains("critical, important or none")
        );
        for c in Criticality::ALL {
            assert_eq!(c.name().parse::<Criticality>(), Ok(c));
        }
        assert!(!Criticality::None.is_critical_or_important());
        assert_eq!(
            Criticality::from_name("important"),
            Some(Criticality::Important)
        );
        assert_eq!(Criticality::from_name("Important"), None);
    }
}
