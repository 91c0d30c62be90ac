//! Evidence packs to the client without a second copy in memory: the pack is written to a
//! temporary file through a store connection of the download's own (two at a time, at most
//! `--max-pack-entries` entries; with witnesses, at a checkpoint they cosigned), the file is unlinked at once (the open handle keeps it
//! until the download ends, and nothing is left behind if the client goes away), and it is sent
//! in 64 KiB chunks read off the async threads. The ledger writes the pack member by member, so
//! no step holds a whole pack in memory.

use std::io::Read;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use plumb_ledger::Ledger;
use plumb_ledger::store::Query as LogQuery;

use crate::problem::Problem;
use crate::state::{AppState, random_hex};

/// Chunk read from the pack file per step.
const CHUNK: usize = 64 * 1024;
/// The largest pack the server writes for a download (the CLI's `plumb export` goes up to
/// `plumb_ledger::pack::MAX_PACK_BYTES`); larger packs are exported with the CLI on the
/// store's machine, or narrowed by system, type or time.
pub const MAX_DOWNLOAD_PACK_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// The most entries a download selects unless `plumb serve --max-pack-entries` says otherwise:
/// writing a pack first surveys every selected entry and keeps a line of its index per entry,
/// so the count bounds the time and memory a request can take whatever the size of the log.
pub const DEFAULT_MAX_PACK_ENTRIES: u64 = 200_000;

/// Packs written at once; further downloads wait their turn (within the request timeout).
static WRITERS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Writes the pack for `query` and opens it; a ledger refusal (nothing matches) keeps its
/// status, anything else is a logged 500.
///
/// The pack is written through a store connection of its own, not the reader's: a large
/// pack holds up no other request.
pub fn write_pack(s: &AppState, query: &LogQuery) -> Result<std::fs::File, Problem> {
    let tmp = s.store.join("tmp");
    std::fs::create_dir_all(&tmp).map_err(|e| Problem::internal_logged(&e))?;
    let mut l = Ledger::open(&s.store).map_err(Problem::from_ledger)?;
    let max = s.max_pack_entries;
    let mut bounded = query.clone();
    bounded.limit = Some(max.saturating_add(1));
    let selected = l.query(&bounded).map_err(Problem::from_ledger)?.len();
    if u64::try_from(selected).unwrap_or(u64::MAX) > max {
        return Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            format!(
                "the selection holds more than {max} entries (plumb serve --max-pack-entries): narrow it by system, predicate type or time, or export it with `plumb export` on the store's machine"
            ),
        ));
    }
    let out = tmp.join(format!("export-{}.tar", random_hex(8)));
    let now = s.now();
    let written = match &s.witnesses {
        Some(w) => crate::witness::pack_checkpoint(s, w, &mut l)
            .and_then(|cp| l.export_at(query, &out, now, MAX_DOWNLOAD_PACK_BYTES, cp)),
        None => l.export_within(query, &out, now, MAX_DOWNLOAD_PACK_BYTES),
    };
    let file = written
        .map_err(Problem::from_ledger)
        .and_then(|_| std::fs::File::open(&out).map_err(|e| Problem::internal_logged(&e)));
    let _ = std::fs::remove_file(&out);
    file
}

/// The pack file as a streamed `application/x-tar` attachment.
pub fn pack_response(file: std::fs::File) -> Response {
    let len = file.metadata().map(|m| m.len()).ok();
    let chunks = futures_util::stream::unfold(Some(file), |state| async move {
        let mut f = state?;
        let read = tokio::task::spawn_blocking(move || {
            let mut buf = vec![0u8; CHUNK];
            let n = f.read(&mut buf);
            (f, buf, n)
        })
        .await;
        match read {
            Ok((f, mut buf, Ok(n))) if n > 0 => {
                buf.truncate(n);
                Some((Ok::<Bytes, std::io::Error>(Bytes::from(buf)), Some(f)))
            }
            Ok((_, _, Ok(_))) => None,
            Ok((_, _, Err(e))) => Some((Err(e), None)),
            Err(e) => Some((Err(std::io::Error::other(e.to_string())), None)),
        }
    });
    let mut r = (
        [
            (header::CONTENT_TYPE, "application/x-tar"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"evidence-pack.tar\"",
            ),
        ],
        Body::from_stream(chunks),
    )
        .into_response();
    if let Some(n) = len
        && let Ok(v) = header::HeaderValue::from_str(&n.to_string())
    {
        r.headers_mut().insert(header::CONTENT_LENGTH, v);
    }
    r
}

/// Writes and streams the pack for `query` (for the API and the UI alike).
pub async fn export(s: Arc<AppState>, query: LogQuery) -> Result<Response, Problem> {
    let permit = WRITERS.acquire().await.map_err(|_| Problem::busy())?;
    let file = crate::ui::blocking(move || {
        let _writing = permit;
        write_pack(&s, &query)
    })
    .await?;
    Ok(pack_response(file))
}
