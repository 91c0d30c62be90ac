//! The SOC 2 Trust Services Criteria (AICPA TSC 2017, points of focus revised 2022) that
//! template controls may cite. Titles are our own short paraphrases; the AICPA text is
//! authoritative. A template citing a criterion not listed here is refused when it is loaded.

/// (criterion, short title).
pub const CRITERIA: &[(&str, &str)] = &[
    (
        "CC2.1",
        "Relevant, quality information supports internal control",
    ),
    (
        "CC6.1",
        "Logical access security over protected information assets",
    ),
    (
        "CC6.2",
        "Registration and authorisation of users before access",
    ),
    (
        "CC6.3",
        "Access based on roles, least privilege and segregation of duties",
    ),
    (
        "CC6.6",
        "Protection against threats from outside the system boundary",
    ),
    (
        "CC6.7",
        "Restricted transmission and movement of information",
    ),
    (
        "CC6.8",
        "Prevention and detection of unauthorised or malicious software",
    ),
    (
        "CC7.1",
        "Detection of configuration changes and new vulnerabilities",
    ),
    ("CC7.2", "Monitoring of system components for anomalies"),
    ("CC7.3", "Evaluation of security events"),
    ("CC7.4", "Response to security incidents"),
    ("CC7.5", "Recovery from security incidents"),
    (
        "CC8.1",
        "Changes are authorised, designed, tested, approved and implemented",
    ),
    (
        "CC9.2",
        "Risks from vendors and business partners are assessed and managed",
    ),
    (
        "A1.1",
        "Processing capacity is maintained, monitored and evaluated against demand",
    ),
    (
        "A1.2",
        "Backup, recovery infrastructure and environmental protections",
    ),
    ("A1.3", "Recovery plans are tested"),
    (
        "C1.1",
        "Confidential information is identified and protected",
    ),
];

/// The title of a criterion, if it is known.
pub fn title(id: &str) -> Option<&'static str> {
    CRITERIA.iter().find(|(c, _)| *c == id).map(|(_, t)| *t)
}
