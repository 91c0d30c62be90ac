//! Times as Plumbline writes and reads them: RFC 3339 in UTC.

use chrono::{DateTime, SecondsFormat, Utc};

/// Parses an RFC 3339 time with a zone offset into UTC; the error quotes the value (the
/// caller names the field).
pub fn parse_rfc3339(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            format!(
                "{s:?} is not an RFC 3339 time with a zone offset ({e}), e.g. 2026-11-21T09:30:00Z"
            )
        })
}

/// RFC 3339 in UTC with whole seconds and `Z`, as records and messages show times.
pub fn format_seconds(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_into_utc_and_format_back() {
        let t = parse_rfc3339("2026-11-21T10:30:00+01:00").unwrap();
        assert_eq!(format_seconds(t), "2026-11-21T09:30:00Z");
        let e = parse_rfc3339("yesterday").unwrap_err();
        assert!(
            e.starts_with("\"yesterday\" is not an RFC 3339 time"),
            "{e}"
        );
        assert!(parse_rfc3339("2026-11-21T10:30:00").is_err(), "no offset");
    }
}
