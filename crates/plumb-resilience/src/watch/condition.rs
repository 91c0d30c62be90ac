//! Success and failure conditions: a comparison with a number (`< 0.01`, `>= 500`), applied to
//! each series' value. Deliberately small: Argo Rollouts' expressions over `result` are a
//! language of their own, and a condition a reviewer can read at a glance is the point.

use std::fmt;

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Condition {
    op: Op,
    bound: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Condition {
    /// Parses `OP NUMBER` with OP one of `<`, `<=`, `>`, `>=`, `==`, `!=`.
    pub fn parse(s: &str) -> Result<Condition, String> {
        let t = s.trim();
        let (op, rest) = [
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<", Op::Lt),
            (">", Op::Gt),
        ]
        .iter()
        .find_map(|(p, op)| t.strip_prefix(p).map(|r| (*op, r)))
        .ok_or_else(|| {
            format!("condition {s:?} must start with <, <=, >, >=, == or != (e.g. \"< 0.01\")")
        })?;
        let bound: f64 = rest
            .trim()
            .parse()
            .map_err(|_| format!("condition {s:?}: {:?} is not a number", rest.trim()))?;
        if !bound.is_finite() {
            return Err(format!("condition {s:?}: the bound must be finite"));
        }
        Ok(Condition { op, bound })
    }

    /// Whether `v` meets it.
    pub fn holds(&self, v: f64) -> bool {
        match self.op {
            Op::Lt => v < self.bound,
            Op::Le => v <= self.bound,
            Op::Gt => v > self.bound,
            Op::Ge => v >= self.bound,
            Op::Eq => v == self.bound,
            Op::Ne => v != self.bound,
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.op {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        };
        write!(f, "{op} {}", self.bound)
    }
}

#[cfg(test)]
mod tests {
    use super::Condition;

    #[test]
    fn conditions_parse_and_compare() {
        let c = Condition::parse(" <= 0.05").unwrap();
        assert!(c.holds(0.05) && !c.holds(0.0501));
        assert!(Condition::parse(">1e3").unwrap().holds(1001.0));
        assert!(!Condition::parse("!= 0").unwrap().holds(0.0));
        assert_eq!(Condition::parse("< 0.01").unwrap().to_string(), "< 0.01");
        for bad in ["0.01", "< x", "=< 1", "< inf", "< NaN", ""] {
            assert!(Condition::parse(bad).is_err(), "{bad}");
        }
    }
}
