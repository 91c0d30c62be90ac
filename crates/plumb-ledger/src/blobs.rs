//! Content-addressed blob store: raw reports and SBOMs, stored under their SHA-256 and
//! referenced from log entries. Files are written to a temporary name, synced and renamed, so
//! a blob is either whole or absent.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::hash::{Hash, hex, parse_sha256_ref, sha256_ref};

/// Default cap on one blob: 256 MiB.
pub const DEFAULT_MAX_BLOB: u64 = 256 * 1024 * 1024;

pub mod s3;

/// Blobs named by digest: in a directory (`sha256/<2 hex>/<64 hex>`), or in S3 under
/// `<prefix>/sha256/<64 hex>` with the directory used only for uploads in progress.
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
    max_size: u64,
    s3: Option<Arc<s3::S3Blobs>>,
}

impl BlobStore {
    /// Opens (creating if needed) a blob directory.
    pub fn open(root: impl Into<PathBuf>, max_size: u64) -> Result<Self> {
        let root = root.into();
        fs::create_dir_all(root.join("sha256")).map_err(|e| Error::io(&root, e))?;
        Ok(BlobStore {
            root,
            max_size,
            s3: None,
        })
    }

    /// Opens a blob store in S3 (checking the bucket), staging uploads in `root`.
    pub fn open_s3(root: impl Into<PathBuf>, max_size: u64, cfg: &s3::S3Config) -> Result<Self> {
        let root = root.into();
        fs::create_dir_all(&root).map_err(|e| Error::io(&root, e))?;
        Ok(BlobStore {
            root,
            max_size,
            s3: Some(Arc::new(s3::S3Blobs::open(cfg)?)),
        })
    }

    /// The stored size of a blob, or `None` when it is not in the store.
    pub fn size_of(&self, digest: &str) -> Result<Option<u64>> {
        let h = parse_sha256_ref(digest)?;
        if let Some(s3) = &self.s3 {
            return s3.size_of(&h);
        }
        match fs::metadata(self.path_for(&h)) {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(self.path_for(&h), e)),
        }
    }

    /// Where the blob with this digest lives. The digest is parsed, never used as a path as given,
    /// so names like `../x` cannot escape the store.
    pub fn path_of(&self, digest: &str) -> Result<PathBuf> {
        let h = parse_sha256_ref(digest)?;
        Ok(self.path_for(&h))
    }

    fn path_for(&self, h: &Hash) -> PathBuf {
        let x = hex(h);
        self.root.join("sha256").join(&x[..2]).join(x)
    }

    /// Streams `reader` into the store and returns `(sha256:<hex>, size)`.
    pub fn put(&self, mut reader: impl Read) -> Result<(String, u64)> {
        let tmp_dir = self.root.join("tmp");
        fs::create_dir_all(&tmp_dir).map_err(|e| Error::io(&tmp_dir, e))?;
        let mut tmp = tempfile_in(&tmp_dir)?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = reader.read(&mut buf).map_err(|e| Error::io(&tmp.1, e))?;
            if n == 0 {
                break;
            }
            size += n as u64;
            if size > self.max_size {
                let _ = fs::remove_file(&tmp.1);
                return Err(Error::TooLarge {
                    what: "blob".into(),
                    size,
                    limit: self.max_size,
                });
            }
            hasher.update(&buf[..n]);
            tmp.0
                .write_all(&buf[..n])
                .map_err(|e| Error::io(&tmp.1, e))?;
        }
        tmp.0.sync_all().map_err(|e| Error::io(&tmp.1, e))?;
        let h: Hash = hasher.finalize().into();
        if let Some(s3) = &self.s3 {
            let uploaded = File::open(&tmp.1)
                .map_err(|e| Error::io(&tmp.1, e))
                .and_then(|f| s3.put(&h, size, f));
            let _ = fs::remove_file(&tmp.1);
            uploaded?;
            return Ok((sha256_ref(&h), size));
        }
        let dest = self.path_for(&h);
        let parent = dest.parent().expect("blob path has a parent");
        fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        fs::rename(&tmp.1, &dest).map_err(|e| Error::io(&dest, e))?;
        File::open(parent)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(parent, e))?;
        Ok((sha256_ref(&h), size))
    }

    /// Stores a file.
    pub fn put_file(&self, path: &Path) -> Result<(String, u64)> {
        let f = File::open(path).map_err(|e| Error::io(path, e))?;
        self.put(f)
    }

    /// Reads a whole blob, checking its digest.
    pub fn get(&self, digest: &str) -> Result<Vec<u8>> {
        let want = parse_sha256_ref(digest)?;
        let data = match &self.s3 {
            Some(s3) => s3
                .get(&want, self.max_size.saturating_add(1))?
                .ok_or_else(|| Error::NotFound(format!("blob {digest} is missing")))?,
            None => {
                let path = self.path_of(digest)?;
                fs::read(&path).map_err(|e| match e.kind() {
                    std::io::ErrorKind::NotFound => {
                        Error::NotFound(format!("blob {digest} is missing"))
                    }
                    _ => Error::io(&path, e),
                })?
            }
        };
        if crate::hash::sha256(&data) != want {
            return Err(Error::Integrity(format!(
                "blob {digest} does not match its digest: its content was changed"
            )));
        }
        Ok(data)
    }

    /// Opens a blob to be read as a stream, for copying it somewhere without holding it:
    /// [`BlobRead::copy_to`] checks its size and digest as it goes. A blob in a directory is
    /// read from its file; one in S3 is read whole first (a replaced latest version is passed
    /// over for the locked one by its digest, which needs the whole content), within the
    /// store's size cap.
    pub fn open_blob(&self, digest: &str) -> Result<BlobRead> {
        let want = parse_sha256_ref(digest)?;
        let missing = || Error::NotFound(format!("blob {digest} is missing"));
        let (size, inner): (u64, Box<dyn Read + Send>) = match &self.s3 {
            Some(_) => {
                let data = self.get(digest)?;
                (data.len() as u64, Box::new(std::io::Cursor::new(data)))
            }
            None => {
                let path = self.path_for(&want);
                let f = File::open(&path).map_err(|e| match e.kind() {
                    std::io::ErrorKind::NotFound => missing(),
                    _ => Error::io(&path, e),
                })?;
                let size = f.metadata().map_err(|e| Error::io(&path, e))?.len();
                // No blob was stored over the cap: a larger file was put there by hand.
                if size > self.max_size {
                    return Err(Error::TooLarge {
                        what: format!("blob {digest}"),
                        size,
                        limit: self.max_size,
                    });
                }
                (size, Box::new(f))
            }
        };
        Ok(BlobRead {
            digest: digest.to_string(),
            want,
            size,
            inner,
        })
    }

    /// Re-hashes a stored blob; Ok if present and intact. In S3 the latest version must be
    /// the blob: a replaced or deleted blob is reported here even though [`BlobStore::get`]
    /// still finds it among the locked versions.
    pub fn check(&self, digest: &str) -> Result<()> {
        let Some(s3) = &self.s3 else {
            return self.get(digest).map(|_| ());
        };
        let want = parse_sha256_ref(digest)?;
        match s3.get_latest(&want, self.max_size.saturating_add(1))? {
            None => Err(Error::Integrity(format!(
                "blob {digest}: its latest version in S3 is missing (deleted, or hidden by a delete marker)"
            ))),
            Some(d) if crate::hash::sha256(&d) != want => Err(Error::Integrity(format!(
                "blob {digest} does not match its digest: its latest version in S3 was replaced"
            ))),
            Some(_) => Ok(()),
        }
    }
}

/// A stored blob opened for streaming ([`BlobStore::open_blob`]).
pub struct BlobRead {
    digest: String,
    want: Hash,
    size: u64,
    inner: Box<dyn Read + Send>,
}

impl BlobRead {
    /// The blob's size, known before it is read (an archive header needs it first).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Passes the blob to `sink` in chunks and checks, at the end, that exactly
    /// [`BlobRead::size`] bytes came and that they hash to the blob's digest. On an error the
    /// sink has seen part of the blob, so the caller must discard what it wrote (an export
    /// writes to a temporary file and removes it). Returns the checked SHA-256.
    pub fn copy_to(mut self, sink: &mut dyn FnMut(&[u8]) -> Result<()>) -> Result<Hash> {
        let mut hasher = Sha256::new();
        let mut left = self.size;
        let mut buf = vec![0u8; 256 * 1024];
        let changed = |what: &str| {
            Error::Integrity(format!(
                "blob {} {what} while it was read: its content was changed",
                self.digest
            ))
        };
        while left > 0 {
            let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
            let chunk = buf.get_mut(..want).unwrap_or_default();
            let n = match self.inner.read(chunk) {
                Ok(n) => n,
                // A signal, not a change of the blob: read again.
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Error::State(format!(
                        "blob {}: reading it failed: {e}",
                        self.digest
                    )));
                }
            };
            if n == 0 {
                return Err(changed("became shorter"));
            }
            let got = chunk.get(..n).unwrap_or_default();
            hasher.update(got);
            sink(got)?;
            left -= n as u64;
        }
        let mut probe = [0u8; 1];
        if self.inner.read(&mut probe).unwrap_or(0) != 0 {
            return Err(changed("became longer"));
        }
        let got: Hash = hasher.finalize().into();
        if got != self.want {
            return Err(Error::Integrity(format!(
                "blob {} does not match its digest: its content was changed",
                self.digest
            )));
        }
        Ok(got)
    }
}

fn tempfile_in(dir: &Path) -> Result<(File, PathBuf)> {
    for _ in 0..16 {
        let mut r = [0u8; 8];
        getrandom::getrandom(&mut r).map_err(|e| Error::State(format!("randomness: {e}")))?;
        let p = dir.join(format!("put-{}", hex(&r)));
        match fs::OpenOptions::new().write(true).create_new(true).open(&p) {
            Ok(f) => return Ok((f, p)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(&p, e)),
        }
    }
    Err(Error::State(
        "could not create a temporary blob file".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_content_addressed_capped_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path(), 10).unwrap();
        let (d, n) = store.put(&b"report"[..]).unwrap();
        assert_eq!(n, 6);
        assert_eq!(d, sha256_ref(&crate::hash::sha256(b"report")));
        assert_eq!(store.get(&d).unwrap(), b"report");
        assert!(matches!(
            store.put(&b"far too large"[..]),
            Err(Error::TooLarge { .. })
        ));
        assert!(store.path_of("../../etc/passwd").is_err());
        assert!(store.path_of("sha256:..").is_err());
        fs::write(store.path_of(&d).unwrap(), b"swapped").unwrap();
        assert!(matches!(store.get(&d), Err(Error::Integrity(_))));
        let missing = sha256_ref(&[0; 32]);
        assert!(matches!(store.get(&missing), Err(Error::NotFound(_))));
    }
}
