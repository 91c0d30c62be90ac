//! Evidence packs to the client without a second copy in memory: the pack is written to a
//! temporary file under the reader lock (with witnesses, after a checkpoint was signed and the
//! witnesses were asked, outside that lock), the file is unlinked at once (the open handle keeps it
//! until the download ends, and nothing is left behind if the client goes away), and it is sent
//! in 64 KiB chunks read off the async threads. The ledger writes the pack member by member, so
//! no step holds a whole pack in memory.

use std::io::Read;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use plumb_ledger::store::Query as LogQuery;

use crate::problem::Problem;
use crate::state::{AppState, lock, random_hex};

/// Chunk read from the pack file per step.
const CHUNK: usize = 64 * 1024;
/// The largest pack the server writes for a download (the CLI's `plumb export` goes up to
/// `plumb_ledger::pack::MAX_PACK_BYTES`): a pack is written under the reader lock, so a
/// request for a huge one would hold up every other read; larger packs are exported with the
/// CLI on the store's machine, or narrowed by system, type or time.
pub const MAX_DOWNLOAD_PACK_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// Writes the pack for `query` and opens it; a ledger refusal (nothing matches) keeps its
/// status, anything else is a logged 500.
pub fn write_pack(s: &AppState, query: &LogQuery) -> Result<std::fs::File, Problem> {
    let tmp = s.store.join("tmp");
    std::fs::create_dir_all(&tmp).map_err(|e| Problem::internal_logged(&e))?;
    let out = tmp.join(format!("export-{}.tar", random_hex(8)));
    let cosigned = match s.cosigners {
        Some(_) => crate::witness::pack_checkpoint(s).map_err(Problem::from_ledger)?,
        None => None,
    };
    let now = s.now();
    let written = match cosigned {
        Some(cp) => lock(&s.reader).export_at(query, &out, now, MAX_DOWNLOAD_PACK_BYTES, cp),
        None => lock(&s.reader).export_within(query, &out, now, MAX_DOWNLOAD_PACK_BYTES),
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
    let file = crate::ui::blocking(move || write_pack(&s, &query)).await?;
    Ok(pack_response(file))
}
