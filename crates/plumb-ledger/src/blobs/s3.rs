//! Blobs in S3-compatible object storage: `<prefix>/sha256/<hex>` in one bucket, signed with
//! AWS Signature V4 (rusty-s3) and sent with ureq. Uploads carry their SHA-256 for the server
//! to check and, when the store asks for it, an Object Lock retention; reads are re-hashed.
//! At start the bucket must have versioning on, and Object Lock when retention is asked for:
//! without them a blob could be replaced or deleted by anyone holding the credentials.

use std::io::Read;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, first_line};
use crate::hash::{Hash, hex};

/// How long a signed request stays valid.
const SIGNED_FOR: Duration = Duration::from_secs(300);
/// The longest one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// The largest bucket-configuration answer read.
const MAX_CONFIG_ANSWER: u64 = 64 * 1024;

/// Environment variables that override the configured endpoint and give the credentials.
pub const ENDPOINT_ENV: &str = "PLUMB_S3_ENDPOINT";
/// Access key id (the usual AWS variable).
pub const ACCESS_KEY_ENV: &str = "AWS_ACCESS_KEY_ID";
/// Secret access key (the usual AWS variable).
pub const SECRET_KEY_ENV: &str = "AWS_SECRET_ACCESS_KEY";

/// A credentials file to read when the two variables are not set: the AWS shared-credentials
/// format (`[profile]` sections, `aws_access_key_id = ...`, `aws_secret_access_key = ...`).
pub const CREDENTIALS_FILE_ENV: &str = "AWS_SHARED_CREDENTIALS_FILE";
/// The section of that file to use (default `default`).
pub const PROFILE_ENV: &str = "AWS_PROFILE";

/// The access key id and secret: from `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`, else
/// from the file `AWS_SHARED_CREDENTIALS_FILE` names (its `AWS_PROFILE` section, or
/// `default`), which must be readable by its owner only. Never from the store's own files.
fn credentials() -> Result<(String, String)> {
    if let (Ok(k), Ok(s)) = (std::env::var(ACCESS_KEY_ENV), std::env::var(SECRET_KEY_ENV))
        && !k.is_empty()
        && !s.is_empty()
    {
        return Ok((k, s));
    }
    let Ok(path) = std::env::var(CREDENTIALS_FILE_ENV) else {
        return Err(Error::State(format!(
            "S3 blob store: set {ACCESS_KEY_ENV} and {SECRET_KEY_ENV}, or {CREDENTIALS_FILE_ENV} to a credentials file (the credentials are never kept in the store's files)"
        )));
    };
    let path = std::path::PathBuf::from(path);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path)
            .map_err(|e| Error::io(&path, e))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(Error::State(format!(
                "S3 credentials file {} is readable by others (mode {:o}); chmod 600 it",
                path.display(),
                mode & 0o777
            )));
        }
    }
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    let profile = std::env::var(PROFILE_ENV).unwrap_or_else(|_| "default".into());
    let found = profile_keys(&text, &profile);
    match found {
        (Some(k), Some(s)) => Ok((k, s)),
        _ => Err(Error::State(format!(
            "S3 credentials file {}: no aws_access_key_id and aws_secret_access_key in [{profile}]",
            path.display()
        ))),
    }
}

/// The two keys of section `[profile]` of a shared-credentials file.
fn profile_keys(text: &str, profile: &str) -> (Option<String>, Option<String>) {
    let (mut key, mut secret) = (None, None);
    let mut inside = false;
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = name.trim() == profile;
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim().to_string();
        match k.trim() {
            "aws_access_key_id" if inside && !v.is_empty() => key = Some(v),
            "aws_secret_access_key" if inside && !v.is_empty() => secret = Some(v),
            _ => {}
        }
    }
    (key, secret)
}

/// Object Lock mode of new blobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LockMode {
    /// Nobody, not even the account's root user, can delete or shorten it before it expires:
    /// what regulators accept as WORM retention.
    Compliance,
    /// Users with a special permission can bypass it.
    Governance,
}

impl LockMode {
    fn header(self) -> &'static str {
        match self {
            LockMode::Compliance => "COMPLIANCE",
            LockMode::Governance => "GOVERNANCE",
        }
    }
}

/// Where blobs go when they go to S3 (the store configuration's `blobs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// `s3://bucket/prefix` (the prefix may be empty).
    pub url: String,
    /// The service's base URL (`https://s3.eu-central-1.amazonaws.com`, or an S3-compatible
    /// server's); `PLUMB_S3_ENDPOINT` overrides it.
    pub endpoint: String,
    /// The region requests are signed for.
    pub region: String,
    /// Object Lock retention given to every new blob, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Retention>,
}

/// A retention period under a lock mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// The lock mode.
    pub mode: LockMode,
    /// Days from the upload.
    pub days: u32,
}

impl S3Config {
    /// The bucket and the key prefix of `url`.
    pub fn bucket_and_prefix(&self) -> Result<(String, String)> {
        let rest = self.url.strip_prefix("s3://").ok_or_else(|| {
            Error::Malformed(format!(
                "blob store {:?} must be s3://bucket/prefix",
                self.url
            ))
        })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !valid {
            return Err(Error::Malformed(format!(
                "bucket name {bucket:?} is not an S3 bucket name (3 to 63 lowercase letters, digits, '-' or '.')"
            )));
        }
        let prefix = prefix.trim_matches('/');
        if prefix.split('/').any(|p| p == ".." || p == ".")
            || prefix.contains("//")
            || prefix.bytes().any(|b| b.is_ascii_control())
        {
            return Err(Error::Malformed(format!(
                "key prefix {prefix:?} is not a plain path"
            )));
        }
        Ok((bucket.to_string(), prefix.to_string()))
    }
}

/// An open S3 blob store.
pub struct S3Blobs {
    bucket: Bucket,
    credentials: Credentials,
    prefix: String,
    retention: Option<Retention>,
    agent: ureq::Agent,
    /// For messages: `s3://bucket/prefix at endpoint`.
    describe: String,
}

impl std::fmt::Debug for S3Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe)
    }
}

fn s3_error(what: impl std::fmt::Display) -> Error {
    Error::State(format!("S3 blob store: {what}"))
}

impl S3Blobs {
    /// Connects and checks the bucket: versioning on, and Object Lock enabled when `cfg` asks
    /// for retention. Credentials come from the environment.
    pub fn open(cfg: &S3Config) -> Result<Self> {
        let (bucket_name, prefix) = cfg.bucket_and_prefix()?;
        let endpoint = std::env::var(ENDPOINT_ENV).unwrap_or_else(|_| cfg.endpoint.clone());
        let url = endpoint
            .parse()
            .map_err(|e| Error::Malformed(format!("S3 endpoint {endpoint:?}: {e}")))?;
        let bucket = Bucket::new(url, UrlStyle::Path, bucket_name.clone(), cfg.region.clone())
            .map_err(|e| Error::Malformed(format!("S3 bucket {bucket_name:?}: {e}")))?;
        let (key, secret) = credentials()?;
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(REQUEST_TIMEOUT))
            .build()
            .new_agent();
        let s = S3Blobs {
            bucket,
            credentials: Credentials::new(key, secret),
            prefix,
            retention: cfg.retention,
            agent,
            describe: format!("{} at {endpoint}", cfg.url),
        };
        s.check_bucket()?;
        Ok(s)
    }

    /// A bucket-level GET with these query parameters (`?versioning`, `?object-lock`,
    /// `?versions&prefix=`): the status and at most `limit` bytes of the answer.
    fn bucket_get(&self, query: &[(&'static str, &str)], limit: u64) -> Result<(u16, String)> {
        let mut action = self.bucket.get_object(Some(&self.credentials), "");
        for (k, v) in query {
            action.query_mut().insert(*k, v.to_string());
        }
        let url = action.sign(SIGNED_FOR);
        let mut r = self.call(self.agent.get(url.as_str()).call())?;
        let status = r.status().as_u16();
        let body = r
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_string()
            .map_err(|e| {
                s3_error(format!(
                    "reading the answer to ?{}: {e}",
                    query.first().map_or("", |q| q.0)
                ))
            })?;
        Ok((status, body))
    }

    /// A request's answer, or the error that says the service could not be reached.
    fn call(
        &self,
        r: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<ureq::http::Response<ureq::Body>> {
        r.map_err(|e| s3_error(format!("{} unreachable: {e}", self.describe)))
    }

    /// A bucket-level configuration document (`?versioning`, `?object-lock`).
    fn bucket_config(&self, what: &'static str) -> Result<(u16, String)> {
        self.bucket_get(&[(what, "")], MAX_CONFIG_ANSWER)
    }

    fn check_bucket(&self) -> Result<()> {
        let (status, body) = self.bucket_config("versioning")?;
        if status != 200 {
            return Err(s3_error(format!(
                "{}: the bucket's versioning cannot be read (HTTP {status}): {}",
                self.describe,
                first_line(&body)
            )));
        }
        if !compact(&body).contains("<Status>Enabled</Status>") {
            return Err(s3_error(format!(
                "{}: versioning is not enabled on the bucket; evidence needs it so no blob can be replaced without a trace",
                self.describe
            )));
        }
        if self.retention.is_some() {
            let (status, body) = self.bucket_config("object-lock")?;
            if status != 200
                || !compact(&body).contains("<ObjectLockEnabled>Enabled</ObjectLockEnabled>")
            {
                return Err(s3_error(format!(
                    "{}: retention is configured but Object Lock is not enabled on the bucket (it can only be enabled when the bucket is created)",
                    self.describe
                )));
            }
        }
        Ok(())
    }

    fn key(&self, h: &Hash) -> String {
        if self.prefix.is_empty() {
            format!("sha256/{}", hex(h))
        } else {
            format!("{}/sha256/{}", self.prefix, hex(h))
        }
    }

    /// The stored size of a blob, or `None` when it is absent.
    pub fn size_of(&self, h: &Hash) -> Result<Option<u64>> {
        let key = self.key(h);
        let url = self
            .bucket
            .head_object(Some(&self.credentials), &key)
            .sign(SIGNED_FOR);
        let r = self.call(self.agent.head(url.as_str()).call())?;
        match r.status().as_u16() {
            200 => Ok(r
                .headers()
                .get("content-length")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())),
            404 => Ok(None),
            s => Err(s3_error(format!("HEAD {key}: HTTP {s}"))),
        }
    }

    /// Uploads `size` bytes from `body` whose SHA-256 is `h`, unless the blob is already there.
    /// The server checks the digest sent with it; the lock, if configured, starts now.
    pub fn put(&self, h: &Hash, size: u64, body: impl Read) -> Result<()> {
        if self.size_of(h)? == Some(size) {
            return Ok(());
        }
        let key = self.key(h);
        let mut action = self.bucket.put_object(Some(&self.credentials), &key);
        // The headers are signed, so they are sent exactly as signed.
        let mut headers: Vec<(&str, String)> = vec![("x-amz-checksum-sha256", B64.encode(h))];
        if let Some(r) = self.retention {
            let until = chrono::Utc::now() + chrono::Duration::days(i64::from(r.days));
            headers.push(("x-amz-object-lock-mode", r.mode.header().to_string()));
            headers.push((
                "x-amz-object-lock-retain-until-date",
                until.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            ));
        }
        for (k, v) in &headers {
            action.headers_mut().insert(*k, v.clone());
        }
        let url = action.sign(SIGNED_FOR);
        let mut req = self
            .agent
            .put(url.as_str())
            .header("content-length", size.to_string());
        for (k, v) in &headers {
            req = req.header(*k, v);
        }
        let mut r = self.call(req.send(ureq::SendBody::from_reader(&mut body.take(size))))?;
        let status = r.status().as_u16();
        if status != 200 {
            let body = r
                .body_mut()
                .with_config()
                .limit(MAX_CONFIG_ANSWER)
                .read_to_string()
                .unwrap_or_default();
            return Err(s3_error(format!(
                "PUT {key}: HTTP {status}: {}",
                first_line(&body)
            )));
        }
        Ok(())
    }

    /// Reads the latest version of a blob (at most `limit` bytes); `None` when it is absent
    /// (or hidden by a delete marker). The caller re-hashes.
    pub fn get_latest(&self, h: &Hash, limit: u64) -> Result<Option<Vec<u8>>> {
        self.get_version(&self.key(h), None, limit)
    }

    /// Reads a blob, surviving a replacement or a delete marker: when the latest version is
    /// missing or is not the blob (someone with write access put another version on top), the
    /// bucket's versions of the key are read, newest first, and the first whose SHA-256 is the
    /// blob's is returned: under Object Lock that version cannot have been removed. Otherwise
    /// the latest version as it is (the caller's re-hash reports it), or `None`.
    pub fn get(&self, h: &Hash, limit: u64) -> Result<Option<Vec<u8>>> {
        let key = self.key(h);
        let latest = self.get_version(&key, None, limit)?;
        if latest
            .as_deref()
            .is_some_and(|d| crate::hash::sha256(d) == *h)
        {
            return Ok(latest);
        }
        for version in self.versions(&key)?.iter().take(MAX_VERSIONS_TRIED) {
            if let Some(d) = self.get_version(&key, Some(version), limit)?
                && crate::hash::sha256(&d) == *h
            {
                return Ok(Some(d));
            }
        }
        Ok(latest)
    }

    fn get_version(&self, key: &str, version: Option<&str>, limit: u64) -> Result<Option<Vec<u8>>> {
        let mut action = self.bucket.get_object(Some(&self.credentials), key);
        if let Some(v) = version {
            action.query_mut().insert("versionId", v.to_string());
        }
        let url = action.sign(SIGNED_FOR);
        let mut r = self.call(self.agent.get(url.as_str()).call())?;
        match r.status().as_u16() {
            200 => {}
            404 => return Ok(None),
            s => return Err(s3_error(format!("GET {key}: HTTP {s}"))),
        }
        let data = r
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| s3_error(format!("GET {key}: {e}")))?;
        Ok(Some(data))
    }

    /// The version ids of `key`, as the bucket lists them (newest first).
    fn versions(&self, key: &str) -> Result<Vec<String>> {
        let (status, body) = self.bucket_get(&[("versions", ""), ("prefix", key)], MAX_LISTING)?;
        if status != 200 {
            return Err(s3_error(format!(
                "listing the versions of {key}: HTTP {status}: {}",
                first_line(&body)
            )));
        }
        Ok(version_ids(&body, key))
    }
}

/// The most versions of one key read when looking for the blob among them.
const MAX_VERSIONS_TRIED: usize = 32;
/// The largest version listing read.
const MAX_LISTING: u64 = 1024 * 1024;

/// The `VersionId`s of the `<Version>` elements for exactly `key` in a ListObjectVersions
/// answer (delete markers are `<DeleteMarker>` elements and are skipped).
fn version_ids(xml: &str, key: &str) -> Vec<String> {
    let tag = |s: &str, name: &str| -> Option<String> {
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        let from = s.find(&open)? + open.len();
        let len = s.get(from..)?.find(&close)?;
        s.get(from..from + len).map(str::to_string)
    };
    xml.split("<Version>")
        .skip(1)
        .filter_map(|v| {
            let v = v.split("</Version>").next()?;
            (tag(v, "Key")?.trim() == key).then(|| tag(v, "VersionId"))?
        })
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

/// XML without whitespace between tags, for simple checks of small configuration documents.
fn compact(xml: &str) -> String {
    xml.split_whitespace().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_files_are_read_by_profile() {
        let text = "# comment\n[default]\naws_access_key_id = AK\naws_secret_access_key=SK\n\n[ci]\naws_access_key_id=CI\n";
        assert_eq!(
            profile_keys(text, "default"),
            (Some("AK".into()), Some("SK".into()))
        );
        assert_eq!(profile_keys(text, "ci"), (Some("CI".into()), None));
        assert_eq!(profile_keys(text, "other"), (None, None));
        assert_eq!(profile_keys("aws_access_key_id=X", "default"), (None, None));
    }

    #[test]
    fn version_listings_are_read_for_one_key_only() {
        let xml = "<ListVersionsResult><Version><Key>p/sha256/aa</Key><VersionId>v2</VersionId>\
                   <IsLatest>true</IsLatest></Version><DeleteMarker><Key>p/sha256/aa</Key>\
                   <VersionId>dm</VersionId></DeleteMarker><Version><Key>p/sha256/aab</Key>\
                   <VersionId>other</VersionId></Version><Version><Key>p/sha256/aa</Key>\
                   <VersionId>v1</VersionId></Version><Version><Key>p/sha256/aa</Key>";
        assert_eq!(version_ids(xml, "p/sha256/aa"), ["v2", "v1"]);
        assert!(version_ids("<Version><Key>", "k").is_empty());
        assert!(version_ids("garbage", "k").is_empty());
    }

    #[test]
    fn bucket_urls_are_checked() {
        let cfg = |url: &str| S3Config {
            url: url.into(),
            endpoint: "http://127.0.0.1:1".into(),
            region: "us-east-1".into(),
            retention: None,
        };
        assert_eq!(
            cfg("s3://evidence/a/b/").bucket_and_prefix().unwrap(),
            ("evidence".to_string(), "a/b".to_string())
        );
        assert_eq!(
            cfg("s3://evidence").bucket_and_prefix().unwrap(),
            ("evidence".to_string(), String::new())
        );
        for bad in [
            "evidence",
            "s3://Ev",
            "s3://ev",
            "s3://evidence/../x",
            "s3://evidence/a//b",
            "s3://evidence/a\nb",
        ] {
            assert!(cfg(bad).bucket_and_prefix().is_err(), "{bad}");
        }
    }
}
