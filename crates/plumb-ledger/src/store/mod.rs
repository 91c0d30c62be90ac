//! Storage backends for the log. Both keep the same tables (entries, subjects, tree nodes,
//! checkpoints, meta), refuse UPDATE and DELETE through triggers, and append a whole batch in
//! one transaction (group commit): an index is only returned after that transaction is durable.

use std::cell::RefCell;

use crate::entry::NewEntry;
use crate::error::{Error, Result};
use crate::hash::Hash;
use crate::merkle::{Frontier, NewNode, NodeSource};

pub mod postgres;
pub mod sqlite;

/// The version of the table layout. A store of another version is refused.
pub const STORE_VERSION: u32 = 1;

/// An entry as stored.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    /// Position in the log.
    pub index: u64,
    /// The entry bytes (the Merkle leaf data).
    pub bytes: Vec<u8>,
    /// The stored leaf hash.
    pub leaf_hash: Hash,
    /// Stored index columns, compared with the bytes by verification.
    pub predicate_type: String,
    /// Stored system column.
    pub system: Option<String>,
    /// Stored run column.
    pub run: Option<String>,
    /// Stored time column.
    pub time: String,
}

/// A stored checkpoint note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// Tree size it commits to.
    pub size: u64,
    /// The signed note.
    pub note: String,
    /// When it was signed.
    pub time: String,
}

/// A witness's cosignature of one checkpoint, as stored. Rows are only ever added, one per
/// checkpoint and witness; each was verified with the witness's key before it was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCosignature {
    /// Tree size of the checkpoint it cosigns.
    pub size: u64,
    /// The witness's key name.
    pub witness: String,
    /// The cosignature line (`— <name> <base64>` and a newline).
    pub line: String,
    /// When it was stored.
    pub time: String,
}

/// Filters for finding entries. All given filters must match.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Subject digest value (hex), optionally with `alg:` in front.
    pub subject: Option<String>,
    /// Predicate type URI.
    pub predicate_type: Option<String>,
    /// System label.
    pub system: Option<String>,
    /// Only entries of one of these systems (a reader's scope); an empty list matches nothing,
    /// and neither does an entry without a system.
    pub systems_in: Option<Vec<String>>,
    /// Pipeline run label.
    pub run: Option<String>,
    /// Earliest integration time (inclusive), in stored form.
    pub since: Option<String>,
    /// Latest integration time (exclusive), in stored form.
    pub until: Option<String>,
    /// Only entries after this index (cursor for pagination).
    pub after: Option<u64>,
    /// Newest first instead of oldest first.
    pub newest_first: bool,
    /// Maximum number of results.
    pub limit: Option<u64>,
}

/// A value bound into a query.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Text(String),
    Int(i64),
}

impl Query {
    /// SQL selecting matching indexes; `ph(n)` renders the n-th (1-based) placeholder.
    pub(crate) fn to_sql(&self, ph: impl Fn(usize) -> String) -> (String, Vec<Param>) {
        let text = |v: &str| Param::Text(v.to_string());
        let mut conds: Vec<(String, Vec<Param>)> = Vec::new();
        if let Some(s) = &self.subject {
            conds.push(match s.split_once(':') {
                Some((alg, v)) => (
                    "e.idx IN (SELECT idx FROM subjects WHERE value = ? AND alg = ?)".into(),
                    vec![text(v), text(alg)],
                ),
                None => (
                    "e.idx IN (SELECT idx FROM subjects WHERE value = ?)".into(),
                    vec![text(s)],
                ),
            });
        }
        let columns = [
            ("e.predicate_type = ?", &self.predicate_type),
            ("e.system = ?", &self.system),
            ("e.run = ?", &self.run),
            ("e.time >= ?", &self.since),
            ("e.time < ?", &self.until),
        ];
        for (sql, v) in columns {
            if let Some(v) = v {
                conds.push((sql.into(), vec![text(v)]));
            }
        }
        if let Some(list) = &self.systems_in {
            conds.push(if list.is_empty() {
                ("1 = 0".into(), vec![])
            } else {
                (
                    format!("e.system IN ({})", vec!["?"; list.len()].join(", ")),
                    list.iter().map(|v| text(v)).collect(),
                )
            });
        }
        if let Some(a) = self.after {
            let op = if self.newest_first { "<" } else { ">" };
            conds.push((format!("e.idx {op} ?"), vec![Param::Int(a as i64)]));
        }
        let mut sql = String::from("SELECT e.idx FROM entries e");
        let mut params = Vec::new();
        for (i, (c, p)) in conds.into_iter().enumerate() {
            sql.push_str(if i == 0 { " WHERE " } else { " AND " });
            for (j, part) in c.split('?').enumerate() {
                if j > 0 {
                    params.push(p[j - 1].clone());
                    sql.push_str(&ph(params.len()));
                }
                sql.push_str(part);
            }
        }
        sql.push_str(if self.newest_first {
            " ORDER BY e.idx DESC"
        } else {
            " ORDER BY e.idx"
        });
        if let Some(l) = self.limit {
            sql.push_str(&format!(" LIMIT {l}"));
        }
        (sql, params)
    }
}

/// One log's storage.
pub trait Backend: Send {
    /// `sqlite` or `postgres`.
    fn kind(&self) -> &'static str;
    /// Appends a batch in one durable transaction and returns the index of its first entry.
    fn append(&mut self, batch: &[NewEntry]) -> Result<u64>;
    /// Number of entries.
    fn size(&mut self) -> Result<u64>;
    /// One entry.
    fn entry(&mut self, index: u64) -> Result<Option<StoredEntry>>;
    /// Calls `f` on every entry from `from` in index order, as stored (gaps included).
    fn scan(&mut self, from: u64, f: &mut dyn FnMut(StoredEntry) -> Result<()>) -> Result<()>;
    /// Stored subject digests of one entry, `(algorithm, value)`, sorted.
    fn subjects(&mut self, index: u64) -> Result<Vec<(String, String)>>;
    /// Every stored subject row `(index, algorithm, value)`, ordered by index, algorithm, value.
    fn scan_subjects(&mut self, f: &mut dyn FnMut(u64, String, String) -> Result<()>)
    -> Result<()>;
    /// A stored perfect-subtree node (level 0 = leaf hash of that entry).
    fn node(&mut self, level: u32, index: u64) -> Result<Option<Hash>>;
    /// Every stored node at level >= 1, in (level, index) order.
    fn scan_nodes(&mut self, f: &mut dyn FnMut(u32, u64, Hash) -> Result<()>) -> Result<()>;
    /// Indexes of entries matching a query.
    fn query(&mut self, q: &Query) -> Result<Vec<u64>>;
    /// Stores a checkpoint.
    fn add_checkpoint(&mut self, cp: &StoredCheckpoint) -> Result<()>;
    /// All checkpoints, by size.
    fn checkpoints(&mut self) -> Result<Vec<StoredCheckpoint>>;
    /// The `n` largest checkpoints, by size (smallest first). A server signs a checkpoint every
    /// second the log grows, so "the latest" must not read them all.
    fn last_checkpoints(&mut self, n: u64) -> Result<Vec<StoredCheckpoint>>;
    /// Stores a witness's cosignature of the checkpoint at `cosignature.size`; a second one by
    /// the same witness for the same checkpoint (another server asked too) is ignored.
    fn add_cosignature(&mut self, cosignature: &StoredCosignature) -> Result<()>;
    /// The cosignatures of the checkpoint at `size`, by witness name.
    fn cosignatures(&mut self, size: u64) -> Result<Vec<StoredCosignature>>;
    /// The largest checkpoint size `witness` cosigned, if any.
    fn last_cosigned(&mut self, witness: &str) -> Result<Option<u64>>;
    /// A metadata value written at initialisation.
    fn meta(&mut self, key: &str) -> Result<Option<String>>;
}

/// Adapts a node-lookup function to [`NodeSource`], turning an absent node into an integrity error.
pub(crate) struct LookupSource<F: FnMut(u32, u64) -> Result<Option<Hash>>>(pub RefCell<F>);

impl<F: FnMut(u32, u64) -> Result<Option<Hash>>> NodeSource for LookupSource<F> {
    fn node(&self, level: u32, index: u64) -> Result<Hash> {
        (self.0.borrow_mut())(level, index)?.ok_or_else(|| {
            Error::Integrity(format!(
                "tree node at level {level}, index {index} is missing from the store"
            ))
        })
    }
}

/// The nodes a batch completes, given a lookup into the tree as it stands before the batch.
pub(crate) fn nodes_for_batch(
    size: u64,
    batch: &[NewEntry],
    lookup: impl FnMut(u32, u64) -> Result<Option<Hash>>,
) -> Result<Vec<NewNode>> {
    let mut frontier = Frontier::load(&LookupSource(RefCell::new(lookup)), size)?;
    let mut nodes = Vec::with_capacity(batch.len());
    for e in batch {
        frontier.push(e.leaf_hash, &mut nodes);
    }
    Ok(nodes)
}

/// Makes a backend usable as a [`NodeSource`] for proof construction.
pub struct BackendNodes<'a>(pub RefCell<&'a mut dyn Backend>);

impl NodeSource for BackendNodes<'_> {
    fn node(&self, level: u32, index: u64) -> Result<Hash> {
        self.0.borrow_mut().node(level, index)?.ok_or_else(|| {
            Error::Integrity(format!(
                "tree node at level {level}, index {index} is missing"
            ))
        })
    }
}

pub(crate) fn to_hash(v: Vec<u8>, what: &str) -> Result<Hash> {
    v.try_into()
        .map_err(|_| Error::Integrity(format!("{what} is not 32 bytes")))
}

/// The message databases use when a trigger refuses a change.
pub const APPEND_ONLY_MESSAGE: &str = "plumb: the evidence log is append-only";
