//! DORA as data: the articles of Regulation (EU) 2022/2554 (DORA) and of its technical
//! standards that Plumbline's rules, checks and incident logic cite. Every citation in the
//! project is checked against this table, so a rule cannot cite an article that does not exist
//! here, and each citation comes with its title and a one-line summary for reports.
//!
//! Summaries are our own paraphrases; the legal text is authoritative.

use serde::Serialize;

pub mod incident;

/// A legal instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Instrument {
    /// Regulation (EU) 2022/2554.
    Dora,
    /// Delegated Regulation (EU) 2024/1774: ICT risk management framework.
    Rts2024_1774,
    /// Delegated Regulation (EU) 2024/1772: classification of ICT-related incidents.
    Rts2024_1772,
    /// Delegated Regulation (EU) 2025/301: content and time limits of incident reports.
    Rts2025_301,
    /// Implementing Regulation (EU) 2025/302: incident report templates.
    Its2025_302,
    /// Implementing Regulation (EU) 2024/2956: register of information.
    Its2024_2956,
}

impl Instrument {
    /// How citations name the instrument.
    pub fn prefix(self) -> &'static str {
        match self {
            Instrument::Dora => "DORA",
            Instrument::Rts2024_1774 => "RTS 2024/1774",
            Instrument::Rts2024_1772 => "RTS 2024/1772",
            Instrument::Rts2025_301 => "RTS 2025/301",
            Instrument::Its2025_302 => "ITS 2025/302",
            Instrument::Its2024_2956 => "ITS 2024/2956",
        }
    }
}

/// One citable article (or paragraph).
#[derive(Debug, Clone, Serialize)]
pub struct Reference {
    /// The citation as written in rules and reports, e.g. `DORA Art. 9(4)(e)`.
    pub id: &'static str,
    /// The instrument.
    pub instrument: Instrument,
    /// The article's title.
    pub title: &'static str,
    /// What it requires, in one line (paraphrase).
    pub summary: &'static str,
}

macro_rules! refs {
    ($( $id:literal, $inst:ident, $title:literal, $summary:literal; )*) => {
        /// Every citable reference.
        pub const REFERENCES: &[Reference] = &[
            $( Reference { id: $id, instrument: Instrument::$inst, title: $title, summary: $summary }, )*
        ];
    };
}

refs! {
    "DORA Art. 5", Dora, "Governance and organisation", "The management body is ultimately responsible for ICT risk and approves the framework and third-party policy.";
    "DORA Art. 6", Dora, "ICT risk management framework", "A documented ICT risk management framework, reviewed at least yearly and after major incidents.";
    "DORA Art. 8", Dora, "Identification", "Identify, classify and document ICT-supported business functions, information and ICT assets, their roles and dependencies.";
    "DORA Art. 8(4)", Dora, "Identification: inventories", "Keep inventories of information and ICT assets and map their configuration and interdependencies.";
    "DORA Art. 9", Dora, "Protection and prevention", "Continuously monitor and control the security and functioning of ICT systems.";
    "DORA Art. 9(4)(c)", Dora, "Protection and prevention: access", "Limit physical and logical access to what is required for legitimate, approved functions.";
    "DORA Art. 9(4)(d)", Dora, "Protection and prevention: authentication", "Strong authentication and protection of cryptographic keys.";
    "DORA Art. 9(4)(e)", Dora, "Protection and prevention: change management", "Every change to software, hardware, firmware, systems or security parameters is recorded, tested, assessed, approved, implemented and verified in a controlled way.";
    "DORA Art. 9(4)(f)", Dora, "Protection and prevention: patching", "Appropriate and comprehensive patch and update policies.";
    "DORA Art. 10", Dora, "Detection", "Detect anomalous activities, incidents and single points of failure promptly.";
    "DORA Art. 11", Dora, "Response and recovery", "ICT business continuity policy, response and recovery plans, tested at least yearly.";
    "DORA Art. 12", Dora, "Backup, restoration and recovery", "Backup policies and restoration onto segregated systems, tested periodically.";
    "DORA Art. 17", Dora, "ICT-related incident management process", "Detect, manage and notify ICT-related incidents; record all incidents and significant cyber threats.";
    "DORA Art. 18", Dora, "Classification of ICT-related incidents and cyber threats", "Classify incidents and their impact by the criteria set out in the RTS.";
    "DORA Art. 19", Dora, "Reporting of major ICT-related incidents", "Report major incidents to the competent authority in three stages.";
    "DORA Art. 24", Dora, "General requirements for digital operational resilience testing", "A sound and comprehensive testing programme for ICT systems.";
    "DORA Art. 25", Dora, "Testing of ICT tools and systems", "Tests including vulnerability assessments, scans, source code reviews and scenario-based tests.";
    "DORA Art. 28", Dora, "General principles of ICT third-party risk", "Manage ICT third-party risk; keep a register of information on all ICT third-party arrangements.";
    "DORA Art. 28(3)", Dora, "Register of information", "Maintain and update a register of information on all contractual arrangements with ICT third-party providers.";
    "DORA Art. 29", Dora, "Preliminary assessment of ICT concentration risk", "Assess concentration risk before contracting for ICT services supporting critical or important functions.";
    "DORA Art. 30", Dora, "Key contractual provisions", "Contracts with ICT third-party providers contain the listed provisions.";
    "RTS 2024/1774 Art. 6", Rts2024_1774, "Encryption and cryptographic controls", "Encrypt data at rest and in transit (and in use where necessary), following the data's classification and the risk assessment.";
    "RTS 2024/1774 Art. 8", Rts2024_1774, "Policies and procedures for ICT operations", "Secure installation and configuration; production separated from development and test environments.";
    "RTS 2024/1774 Art. 9", Rts2024_1774, "Capacity and performance management", "Capacity requirements, resource optimisation and monitoring, preventing capacity shortages.";
    "RTS 2024/1774 Art. 13", Rts2024_1774, "Network security management", "Segregation and segmentation of networks and control of network connections.";
    "RTS 2024/1774 Art. 10", Rts2024_1774, "Vulnerability and patch management", "Automated vulnerability scanning, at least weekly for assets supporting critical or important functions; track third-party libraries, including open source.";
    "RTS 2024/1774 Art. 12", Rts2024_1774, "Logging", "Log relevant events, protect logs against tampering, deletion and unauthorised access, and keep them for a defined period.";
    "RTS 2024/1774 Art. 16", Rts2024_1774, "ICT systems acquisition, development and maintenance", "Test and approve ICT systems before use and after maintenance; review source code with static and dynamic testing.";
    "RTS 2024/1774 Art. 17", Rts2024_1774, "ICT change management", "Independence between approving and requesting functions; documented changes; fall-back and abort procedures; emergency changes approved after the fact.";
    "RTS 2024/1774 Art. 20", Rts2024_1774, "Identity management", "Unique identities for people and systems, with a managed account lifecycle.";
    "RTS 2024/1774 Art. 21", Rts2024_1774, "Access control", "Least privilege, need to know, segregation of duties and periodic review of access rights.";
    "RTS 2024/1772 Art. 1", Rts2024_1772, "Clients, financial counterparts and transactions", "How affected clients, counterparts and transactions are counted, and which are relevant.";
    "RTS 2024/1772 Art. 2", Rts2024_1772, "Reputational impact", "Reputational impact occurs in any of four cases: media, repeated complaints, regulatory requirements missed, clients lost.";
    "RTS 2024/1772 Art. 3", Rts2024_1772, "Duration and service downtime", "Duration runs from occurrence (or detection) to resolution; downtime from unavailability to restoration.";
    "RTS 2024/1772 Art. 4", Rts2024_1772, "Geographical spread", "Impact in other Member States on clients, counterparts, branches, group entities, infrastructures or providers.";
    "RTS 2024/1772 Art. 5", Rts2024_1772, "Data losses", "Impact on the availability, authenticity, integrity or confidentiality of data.";
    "RTS 2024/1772 Art. 6", Rts2024_1772, "Critical services affected", "The incident affects services supporting critical or important functions, authorised financial services, or is a successful malicious unauthorised access.";
    "RTS 2024/1772 Art. 7", Rts2024_1772, "Economic impact", "Direct and indirect costs and losses, without deducting recoveries; business-as-usual costs excluded.";
    "RTS 2024/1772 Art. 8", Rts2024_1772, "Major ICT-related incidents", "When an incident is major: critical services affected plus malicious unauthorised access with possible data loss, or at least two other thresholds met.";
    "RTS 2024/1772 Art. 9", Rts2024_1772, "Materiality thresholds", "The thresholds for each classification criterion.";
    "RTS 2024/1772 Art. 10", Rts2024_1772, "Significant cyber threats", "A threat is significant if it could affect critical functions or others, is highly probable, and could meet the criticality, clients or geography criteria.";
    "RTS 2025/301 Art. 5", Rts2025_301, "Time limits for reports", "Deadlines for the initial notification, the intermediate report and the final report.";
    "ITS 2025/302 Art. 5", Its2025_302, "Reclassification of major incidents", "A major incident is reclassified as non-major only if it at no time met the criteria for a major incident.";
    "ITS 2025/302 Annex I", Its2025_302, "Incident report template", "The data fields of the initial, intermediate and final reports.";
    "ITS 2024/2956", Its2024_2956, "Register of information", "Templates of the register of information on ICT third-party arrangements.";
}

/// The reference with exactly this citation.
pub fn lookup(id: &str) -> Option<&'static Reference> {
    REFERENCES.iter().find(|r| r.id == id)
}

/// Whether a citation names a known article: either exactly, or a paragraph of a known
/// article (`DORA Art. 9(4)(a)` is valid because `DORA Art. 9` is known).
pub fn is_known(id: &str) -> bool {
    lookup(id).is_some()
        || id
            .find('(')
            .is_some_and(|p| lookup(id[..p].trim_end()).is_some())
}

/// Citations that are known to be wrong for pipeline controls, with the reason. Rules citing
/// them are refused (DORA Art. 21 is about centralised incident reporting, not risk management).
pub fn misuse(id: &str) -> Option<&'static str> {
    match id {
        "DORA Art. 21" => Some(
            "DORA Art. 21 concerns a possible centralisation of incident reporting, not ICT risk management; cite Art. 9(4)(e) or RTS 2024/1774 instead",
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citations_resolve_and_are_unique() {
        assert_eq!(
            lookup("RTS 2024/1774 Art. 17").unwrap().title,
            "ICT change management"
        );
        assert!(is_known("DORA Art. 9(4)(e)"));
        assert!(is_known("DORA Art. 11(6)"), "paragraph of a known article");
        assert!(!is_known("DORA Art. 99"));
        assert!(!is_known("DORA Art. 21"));
        assert!(misuse("DORA Art. 21").is_some());
        let mut ids: Vec<_> = REFERENCES.iter().map(|r| r.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), REFERENCES.len(), "no citation is listed twice");
        for r in REFERENCES {
            assert!(
                r.id.starts_with(r.instrument.prefix()),
                "{} is filed under the wrong instrument",
                r.id
            );
        }
    }
}
