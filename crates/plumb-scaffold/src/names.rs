//! Names that become identifiers in generated code: service names (crate, package, container,
//! database and CI job names all derive from them) and the keys of workflow states and
//! transitions. A name that would not be a valid identifier everywhere is refused, never
//! silently rewritten, because the service name is also the ledger's system name.

/// Longest accepted service name (PostgreSQL identifiers hold 63 bytes; container and DNS labels
/// 63; the rest is room for suffixes such as `_test_<random>`).
pub const MAX_SERVICE: usize = 40;

/// Names a generated repository already uses for itself, or that collide with a language's
/// built-in crates and keywords.
const RESERVED: &[&str] = &[
    "alloc",
    "build",
    "core",
    "crate",
    "plumb",
    "postgres",
    "proc-macro",
    "self",
    "std",
    "super",
    "test",
];

/// Checks a service name: lower-case ASCII letters and digits in words joined by single
/// hyphens, starting with a letter, at most [`MAX_SERVICE`] characters, not reserved.
pub fn check_service(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("is empty".into());
    }
    if name.len() > MAX_SERVICE {
        return Err(format!("is longer than {MAX_SERVICE} characters"));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("must start with a lower-case letter".into());
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err("may hold only lower-case letters, digits and hyphens".into());
    }
    if name.ends_with('-') || name.contains("--") {
        return Err("must not end with a hyphen or hold two in a row".into());
    }
    if RESERVED.contains(&name) {
        return Err(format!(
            "is reserved (the generated repository or its languages use {name:?} themselves)"
        ));
    }
    Ok(())
}

/// A service name suggested for a display name: lower case, words joined by hyphens.
pub fn suggest_service(display: &str) -> String {
    let mut s = words(display).join("-");
    s.truncate(MAX_SERVICE);
    s.trim_end_matches('-').to_string()
}

/// The snake_case identifier of a service name (`core-ledger` -> `core_ledger`).
pub fn ident(service: &str) -> String {
    service.replace('-', "_")
}

/// The key of a state or transition: its display name in snake_case. Refused if the name holds
/// letters outside ASCII (they would vanish from the key) or yields no usable key.
pub fn key(display: &str) -> std::result::Result<String, String> {
    if display
        .chars()
        .any(|c| c.is_alphanumeric() && !c.is_ascii())
    {
        return Err(format!(
            "{display:?} holds letters outside ASCII, which cannot form an identifier"
        ));
    }
    let k = words(display).join("_");
    if k.is_empty() || !k.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(format!(
            "{display:?} gives no identifier starting with a letter"
        ));
    }
    if k.len() > 48 {
        return Err(format!(
            "{display:?} gives an identifier over 48 characters"
        ));
    }
    Ok(k)
}

/// Checks a key given explicitly (`plumb:key`): snake_case ASCII, starting with a letter.
pub fn check_key(k: &str) -> std::result::Result<(), String> {
    let ok = k.starts_with(|c: char| c.is_ascii_lowercase())
        && k.len() <= 48
        && k.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{k:?} is not a key: use lower-case letters, digits and underscores, starting with a letter, at most 48"
        ))
    }
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names() {
        for ok in ["payments", "core-ledger", "a1", "kyc-v2-api"] {
            assert_eq!(check_service(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "Payments",
            "payments api",
            "1payments",
            "-x",
            "x-",
            "a--b",
            "pay_ments",
            "zahlungsverkehr-äöü",
            "postgres",
            "test",
            &"a".repeat(41),
        ] {
            assert!(check_service(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(suggest_service("Payments API"), "payments-api");
        assert_eq!(ident("core-ledger"), "core_ledger");
    }

    #[test]
    fn keys() {
        assert_eq!(key("Verify identity").unwrap(), "verify_identity");
        assert_eq!(key("  KYC / AML check ").unwrap(), "kyc_aml_check");
        assert!(key("Prüfung").is_err(), "non-ASCII letters would vanish");
        assert!(key("2nd review").is_err(), "must start with a letter");
        assert!(key("---").is_err());
        assert!(check_key("approve_v2").is_ok());
        assert!(check_key("Approve").is_err());
        assert!(check_key("x-y").is_err());
    }
}
