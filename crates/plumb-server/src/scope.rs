//! What a token may read. Auditor and incident-manager tokens may be limited to systems, like
//! recorders are for writing: an auditor of payments reads payments' evidence and nothing else.
//! Every read path (entries, proofs, blobs, exports, the UI's pages, incidents) asks its scope
//! here, so there is one rule: a scoped reader sees an entry only if the entry names one of its
//! systems, and an incident only if one of its services is one of them. Entries without a
//! system (access summaries, unlabelled evidence) are for unscoped readers only.

use plumb_ledger::entry::LogEntry;
use plumb_ledger::store::Query as LogQuery;

use crate::problem::Problem;
use crate::tokens::{Role, TokenRecord};

/// The systems a reader may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every system, and entries without one.
    All,
    /// Only these systems.
    Systems(Vec<String>),
}

impl Scope {
    /// The read scope of a token: its systems when it has any, else everything (auditors and
    /// incident managers). Admins and metrics tokens are never scoped (token creation refuses
    /// systems for them); recorders and controllers always are.
    pub fn of(t: &TokenRecord) -> Scope {
        match t.role {
            Role::Admin | Role::Metrics => Scope::All,
            // Never every system by omission: a recorder or controller token without systems
            // (which token creation refuses) reads nothing.
            Role::Recorder | Role::Controller => Scope::Systems(t.systems.clone()),
            _ if t.systems.is_empty() => Scope::All,
            _ => Scope::Systems(t.systems.clone()),
        }
    }

    /// Whether an entry or record of `system` may be read.
    pub fn allows(&self, system: Option<&str>) -> bool {
        match self {
            Scope::All => true,
            Scope::Systems(list) => system.is_some_and(|s| list.iter().any(|x| x == s)),
        }
    }

    /// Whether an incident affecting `services` may be read.
    pub fn allows_any(&self, services: &[String]) -> bool {
        match self {
            Scope::All => true,
            Scope::Systems(_) => services.iter().any(|s| self.allows(Some(s))),
        }
    }

    /// Narrows a query to the scope. A query naming a system outside it is refused (403 with
    /// the systems the token may read), so a filter never silently returns someone else's empty
    /// answer.
    pub fn narrow(&self, q: &mut LogQuery) -> Result<(), Problem> {
        let Scope::Systems(list) = self else {
            return Ok(());
        };
        match &q.system {
            Some(s) if !self.allows(Some(s)) => Err(Problem::forbidden(format!(
                "this token reads only {list:?}, not {s:?}"
            ))),
            Some(_) => Ok(()),
            None => {
                q.systems_in = Some(list.clone());
                Ok(())
            }
        }
    }

    /// Reads entry `index` if the scope allows it; an entry outside it is "not found", exactly
    /// as one that does not exist, so a scoped reader cannot probe what other systems hold.
    pub fn entry(&self, l: &mut plumb_ledger::Ledger, index: u64) -> Result<LogEntry, Problem> {
        let stored = l.entry(index).map_err(Problem::from_ledger)?;
        let parsed = LogEntry::parse(&stored.bytes).map_err(Problem::from_ledger)?;
        if !self.allows(parsed.system.as_deref()) {
            return Err(Problem::not_found(format!("no entry {index}")));
        }
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(role: Role, systems: &[&str]) -> TokenRecord {
        TokenRecord {
            id: "t".into(),
            hash: "h".into(),
            role,
            systems: systems.iter().map(|s| s.to_string()).collect(),
            label: String::new(),
            created: String::new(),
            expires: String::new(),
            revoked: None,
        }
    }

    #[test]
    fn scoped_readers_see_their_systems_only() {
        let a = Scope::of(&token(Role::Auditor, &["payments"]));
        assert!(a.allows(Some("payments")));
        assert!(!a.allows(Some("identity")));
        assert!(
            !a.allows(None),
            "entries without a system are for unscoped readers"
        );
        assert!(a.allows_any(&["identity".into(), "payments".into()]));
        assert!(!a.allows_any(&[]));
        assert_eq!(Scope::of(&token(Role::Auditor, &[])), Scope::All);
        assert_eq!(Scope::of(&token(Role::Admin, &["x"])), Scope::All);
        assert!(Scope::All.allows(None));

        let mut q = LogQuery::default();
        a.narrow(&mut q).unwrap();
        assert_eq!(q.systems_in, Some(vec!["payments".to_string()]));
        let mut q = LogQuery {
            system: Some("identity".into()),
            ..Default::default()
        };
        assert!(a.narrow(&mut q).is_err());
        let mut q = LogQuery {
            system: Some("payments".into()),
            ..Default::default()
        };
        a.narrow(&mut q).unwrap();
        assert_eq!(q.systems_in, None);
    }
}
