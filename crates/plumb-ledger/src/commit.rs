//! Group commit: many producers, one writer. The writer thread owns the ledger, gathers the
//! entries submitted while the previous batch was being written (up to `max_batch`, waiting at
//! most `max_wait` for more), appends them in one durable transaction, and only then tells each
//! producer its index. A producer therefore never sees an index that a crash could lose.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::entry::NewEntry;
use crate::error::{Error, Result};
use crate::ledger::Ledger;

/// Batching limits.
#[derive(Debug, Clone, Copy)]
pub struct BatchOptions {
    /// Most entries in one transaction.
    pub max_batch: usize,
    /// Longest a batch waits for more entries after its first one arrives.
    pub max_wait: Duration,
    /// Entries that may wait in the queue before producers are held back (pushback).
    pub queue: usize,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            max_batch: 256,
            max_wait: Duration::from_millis(2),
            queue: 4096,
        }
    }
}

/// Entries appended together (in one transaction, at consecutive indexes); the reply is the
/// index of the first.
struct Job {
    entries: Vec<NewEntry>,
    done: mpsc::Sender<Result<u64>>,
}

/// A pending append; [`Ticket::wait`] returns the index once it is durable.
pub struct Ticket(Receiver<Result<u64>>);

impl Ticket {
    /// Blocks until the entry's batch is committed.
    pub fn wait(self) -> Result<u64> {
        self.0
            .recv()
            .unwrap_or_else(|_| Err(Error::State("the log writer stopped".into())))
    }
}

/// The writer thread and its queue.
pub struct GroupCommit {
    tx: Option<SyncSender<Job>>,
    worker: Option<JoinHandle<(Ledger, BatchStats)>>,
}

/// Counters from a writer's lifetime.
#[derive(Debug, Clone, Copy, Default)]
pub struct BatchStats {
    /// Transactions committed.
    pub batches: u64,
    /// Entries committed.
    pub entries: u64,
    /// Largest batch.
    pub largest: usize,
}

impl GroupCommit {
    /// Starts the writer thread, which owns `ledger` until [`GroupCommit::finish`].
    pub fn start(mut ledger: Ledger, opts: BatchOptions) -> Self {
        let (tx, rx) = mpsc::sync_channel::<Job>(opts.queue);
        let worker = std::thread::Builder::new()
            .name("plumb-log-writer".into())
            .spawn(move || {
                let mut stats = BatchStats::default();
                while let Ok(first) = rx.recv() {
                    let mut count = first.entries.len();
                    let mut jobs = vec![first];
                    let deadline = Instant::now() + opts.max_wait;
                    while count < opts.max_batch {
                        let next = match rx.try_recv() {
                            Ok(j) => j,
                            Err(_) => match rx
                                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                            {
                                Ok(j) => j,
                                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                                    break;
                                }
                            },
                        };
                        count += next.entries.len();
                        jobs.push(next);
                    }
                    let mut entries = Vec::with_capacity(count);
                    let mut replies = Vec::with_capacity(jobs.len());
                    for j in jobs {
                        replies.push((entries.len() as u64, j.done));
                        entries.extend(j.entries);
                    }
                    match ledger.append(&entries) {
                        Ok(start) => {
                            stats.batches += 1;
                            stats.entries += entries.len() as u64;
                            stats.largest = stats.largest.max(entries.len());
                            for (offset, r) in replies {
                                let _ = r.send(Ok(start + offset));
                            }
                        }
                        Err(e) => {
                            let msg = e.to_string();
                            for (_, r) in replies {
                                let _ = r.send(Err(Error::Database(format!(
                                    "batch was not written: {msg}"
                                ))));
                            }
                        }
                    }
                }
                (ledger, stats)
            })
            .expect("spawn log writer");
        GroupCommit {
            tx: Some(tx),
            worker: Some(worker),
        }
    }

    /// Queues an entry; blocks only when the queue is full (pushback).
    pub fn submit(&self, entry: NewEntry) -> Ticket {
        let (done, rx) = mpsc::channel();
        let tx = self.tx.as_ref().expect("writer running");
        if let Err(mpsc::SendError(job)) = tx.send(Job {
            entries: vec![entry],
            done,
        }) {
            let _ = job
                .done
                .send(Err(Error::State("the log writer stopped".into())));
        }
        Ticket(rx)
    }

    /// Queues an entry without ever blocking: when the queue is full the entry is refused with
    /// [`Error::Busy`], so an async server can answer 503 instead of stalling a worker thread.
    pub fn try_submit(&self, entry: NewEntry) -> Result<Ticket> {
        self.try_submit_all(vec![entry])
    }

    /// Queues entries that must be written together, in one transaction at consecutive
    /// indexes, or not at all; never blocks (a full queue is [`Error::Busy`] and nothing of
    /// them is queued). The ticket gives the index of the first.
    pub fn try_submit_all(&self, entries: Vec<NewEntry>) -> Result<Ticket> {
        let (done, rx) = mpsc::channel();
        let tx = self
            .tx
            .as_ref()
            .ok_or_else(|| Error::State("the log writer stopped".into()))?;
        match tx.try_send(Job { entries, done }) {
            Ok(()) => Ok(Ticket(rx)),
            Err(mpsc::TrySendError::Full(_)) => Err(Error::Busy),
            Err(mpsc::TrySendError::Disconnected(_)) => {
                Err(Error::State("the log writer stopped".into()))
            }
        }
    }

    /// Queues an entry and waits until it is durable.
    pub fn append(&self, entry: NewEntry) -> Result<u64> {
        self.submit(entry).wait()
    }

    /// Drains the queue, stops the writer and hands the ledger back.
    pub fn finish(mut self) -> (Ledger, BatchStats) {
        drop(self.tx.take());
        self.worker
            .take()
            .expect("writer running")
            .join()
            .expect("log writer panicked")
    }
}
