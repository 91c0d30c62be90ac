//! The one table that maps every source's severity to Plumbline's scale. The raw value is kept
//! beside the normalised one in every finding.
//!
//! | source | raw value | normalised |
//! |---|---|---|
//! | CVSS score (SARIF `security-severity`, OSV/CycloneDX scores) | 9.0-10.0 / 7.0-8.9 / 4.0-6.9 / 0.1-3.9 / 0 | critical / high / medium / low / none |
//! | SARIF `level` (result, else rule default, else `warning`) | error / warning / note / none | high / medium / low / info |
//! | bandit `issue_severity` | HIGH / MEDIUM / LOW | high / medium / low |
//! | Trivy `Severity`, Grype `severity`, CycloneDX `ratings[].severity`, OSV `database_specific.severity` | CRITICAL / HIGH / MEDIUM (MODERATE) / LOW / NEGLIGIBLE / INFO / NONE / UNKNOWN (any case) | critical / high / medium / low / low / info / none / unknown |
//! | secrets (gitleaks, detect-secrets, secret scanners in SARIF) | none | high (a secret blocks unless waived) |
//!
//! Precedence within SARIF: `security-severity` (result, then rule), then bandit's
//! `issue_severity`, then `level`.

use serde::{Deserialize, Serialize};

/// Plumbline's severity scale, highest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// CVSS 9.0 and above.
    Critical,
    /// CVSS 7.0 to 8.9.
    High,
    /// CVSS 4.0 to 6.9.
    Medium,
    /// CVSS 0.1 to 3.9.
    Low,
    /// Informational.
    Info,
    /// Explicitly no severity (CVSS 0).
    None,
    /// The source gave no usable severity.
    Unknown,
}

impl Severity {
    /// Band of a CVSS base score.
    pub fn from_cvss(score: f64) -> Severity {
        match score {
            s if s >= 9.0 => Severity::Critical,
            s if s >= 7.0 => Severity::High,
            s if s >= 4.0 => Severity::Medium,
            s if s > 0.0 => Severity::Low,
            0.0 => Severity::None,
            _ => Severity::Unknown,
        }
    }

    /// A SARIF level.
    pub fn from_sarif_level(level: &str) -> Severity {
        match level {
            "error" => Severity::High,
            "warning" => Severity::Medium,
            "note" => Severity::Low,
            "none" => Severity::Info,
            _ => Severity::Unknown,
        }
    }

    /// A severity word as scanners write it (any case).
    pub fn from_word(word: &str) -> Severity {
        match word.trim().to_ascii_lowercase().as_str() {
            "critical" => Severity::Critical,
            "high" => Severity::High,
            "medium" | "moderate" => Severity::Medium,
            "low" | "negligible" => Severity::Low,
            "info" | "informational" => Severity::Info,
            "none" => Severity::None,
            _ => Severity::Unknown,
        }
    }

    /// Critical or high: blocks by default.
    pub fn is_blocking(self) -> bool {
        matches!(self, Severity::Critical | Severity::High)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table() {
        assert_eq!(Severity::from_cvss(9.8), Severity::Critical);
        assert_eq!(Severity::from_cvss(7.0), Severity::High);
        assert_eq!(Severity::from_cvss(6.9), Severity::Medium);
        assert_eq!(Severity::from_cvss(0.1), Severity::Low);
        assert_eq!(Severity::from_cvss(0.0), Severity::None);
        assert_eq!(Severity::from_cvss(f64::NAN), Severity::Unknown);
        assert_eq!(Severity::from_sarif_level("error"), Severity::High);
        assert_eq!(Severity::from_sarif_level("note"), Severity::Low);
        assert_eq!(Severity::from_word("MODERATE"), Severity::Medium);
        assert_eq!(Severity::from_word("Negligible"), Severity::Low);
        assert_eq!(Severity::from_word("bogus"), Severity::Unknown);
        assert!(Severity::Critical < Severity::High, "ordered highest first");
    }
}
