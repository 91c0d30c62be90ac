//! The client side of `--server`: one HTTP(S) agent with the token, a private CA if given,
//! and server errors (RFC 9457 problem details) turned into the CLI's failures.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use ureq::tls::{PemItem, RootCerts, TlsConfig};

use crate::output::Failure;

/// Largest JSON answer read into memory; packs are streamed to disk instead.
const MAX_JSON_ANSWER: u64 = 64 * 1024 * 1024;

/// A plumb server and the token to use with it.
pub struct Remote {
    base: String,
    token: String,
    agent: ureq::Agent,
}

fn roots(ca: &Path) -> Result<RootCerts, Failure> {
    let pem = std::fs::read(ca)
        .map_err(|e| Failure::usage(format!("--ca-cert {}: {e}", ca.display())))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(c)) => certs.push(c),
            Ok(_) => {}
            Err(e) => {
                return Err(Failure::usage(format!("--ca-cert {}: {e}", ca.display())));
            }
        }
    }
    if certs.is_empty() {
        return Err(Failure::usage(format!(
            "--ca-cert {}: no PEM certificate in it",
            ca.display()
        )));
    }
    Ok(RootCerts::Specific(Arc::new(certs)))
}

/// Whether the host of `authority` (`host[:port]/...`) is this machine: `localhost`, an
/// address in 127.0.0.0/8, or `[::1]`.
fn is_loopback_authority(authority: &str) -> bool {
    let hostport = authority.split(['/', '?', '#']).next().unwrap_or("");
    let hostport = hostport.rsplit_once('@').map_or(hostport, |(_, h)| h);
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        hostport.split(':').next().unwrap_or("")
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

impl Remote {
    /// Connects lazily to `url` with the token from `token_file` or PLUMB_TOKEN. Plain HTTP
    /// is refused for any host but this machine unless `insecure_http`: the token would cross
    /// the network in clear text.
    pub fn new(
        url: &str,
        token_file: Option<&Path>,
        ca: Option<&Path>,
        insecure_http: bool,
    ) -> Result<Self, Failure> {
        let base = url.trim_end_matches('/').to_string();
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(Failure::usage(format!(
                "--server {url:?} is not an http(s) URL"
            )));
        }
        if let Some(rest) = base.strip_prefix("http://")
            && !insecure_http
            && !is_loopback_authority(rest)
        {
            return Err(Failure::usage(format!(
                "--server {url:?} is plain HTTP to another machine: the API token would cross the network unencrypted"
            ))
            .hint("use https:// (plumb serve --tls-cert/--tls-key), or pass --insecure-http inside a trusted network segment"));
        }
        let token = match token_file {
            Some(p) => std::fs::read_to_string(p)
                .map_err(|e| Failure::usage(format!("--token-file {}: {e}", p.display())))?,
            None => std::env::var("PLUMB_TOKEN").map_err(|_| {
                Failure::usage("--server needs a token")
                    .hint("set PLUMB_TOKEN or pass --token-file (ask an admin: plumb token create)")
            })?,
        }
        .trim()
        .to_string();
        let mut tls = TlsConfig::builder();
        if let Some(ca) = ca {
            tls = tls.root_certs(roots(ca)?);
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(300)))
            .tls_config(tls.build())
            .build()
            .new_agent();
        Ok(Remote { base, token, agent })
    }

    /// The server's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn check(
        &self,
        r: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<ureq::http::Response<ureq::Body>, Failure> {
        let mut r = r.map_err(|e| {
            Failure::usage(format!("{}: {e}", self.base))
                .hint("is the server running, and is --server right? (for a private CA: --ca-cert)")
        })?;
        let status = r.status().as_u16();
        if status < 400 {
            return Ok(r);
        }
        let body = r
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_vec()
            .unwrap_or_default();
        let detail = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v["detail"].as_str().map(str::to_string))
            .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
        let f = Failure::usage(format!("server answered {status}: {detail}"));
        Err(match status {
            401 => f.hint("the token is missing, wrong, expired or revoked"),
            403 => f.hint("the token's role (or a recorder's systems) does not allow this"),
            _ => f,
        })
    }

    fn json_of(&self, r: ureq::http::Response<ureq::Body>) -> Result<Value, Failure> {
        let bytes = r
            .into_body()
            .with_config()
            .limit(MAX_JSON_ANSWER)
            .read_to_vec()
            .map_err(|e| Failure::usage(format!("{}: reading the answer: {e}", self.base)))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Failure::usage(format!("{}: the answer is not JSON: {e}", self.base)))
    }

    /// GETs `path` and returns the JSON answer.
    pub fn get(&self, path: &str) -> Result<Value, Failure> {
        let r = self
            .agent
            .get(&self.url(path))
            .header("Authorization", &format!("Bearer {}", self.token))
            .call();
        let r = self.check(r)?;
        self.json_of(r)
    }

    /// POSTs `body` as `content_type` and returns the JSON answer.
    pub fn post(&self, path: &str, content_type: &str, body: &[u8]) -> Result<Value, Failure> {
        let r = self
            .agent
            .post(&self.url(path))
            .header("Authorization", &format!("Bearer {}", self.token))
            .content_type(content_type)
            .send(body);
        let r = self.check(r)?;
        self.json_of(r)
    }

    /// Uploads a file as a blob (streamed); returns its `sha256:` digest.
    pub fn upload(&self, file: &Path) -> Result<String, Failure> {
        let f = std::fs::File::open(file)
            .map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?;
        let r = self
            .agent
            .post(&self.url("/v1/blobs"))
            .header("Authorization", &format!("Bearer {}", self.token))
            .content_type("application/octet-stream")
            .send(f);
        let r = self.check(r).map_err(|mut e| {
            e.message = format!("{}: {}", file.display(), e.message);
            e
        })?;
        let v = self.json_of(r)?;
        v["digest"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| Failure::usage("the server's answer has no blob digest"))
    }

    /// GETs `path` and streams the answer into `out`; returns the bytes written.
    pub fn download(&self, path: &str, out: &Path) -> Result<u64, Failure> {
        let r = self
            .agent
            .get(&self.url(path))
            .header("Authorization", &format!("Bearer {}", self.token))
            .call();
        let r = self.check(r)?;
        let tmp = out.with_extension("partial");
        let mut file = std::fs::File::create(&tmp)
            .map_err(|e| Failure::usage(format!("{}: {e}", tmp.display())))?;
        let n = std::io::copy(&mut r.into_body().into_reader(), &mut file).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Failure::usage(format!("{}: download broke off: {e}", self.base))
        })?;
        file.sync_all()
            .and_then(|_| std::fs::rename(&tmp, out))
            .map_err(|e| Failure::usage(format!("{}: {e}", out.display())))?;
        Ok(n)
    }
}

/// Percent-encodes a query value.
pub fn q(v: &str) -> String {
    plumb_base::escape::url_component(v)
}

/// A query string from the pairs whose value is set.
pub fn query(pairs: &[(&str, Option<String>)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", q(v))))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::is_loopback_authority;

    #[test]
    fn only_this_machine_is_loopback() {
        for ok in [
            "127.0.0.1:8700",
            "localhost:1/x",
            "[::1]:8700",
            "127.9.9.9",
            "LOCALHOST",
        ] {
            assert!(is_loopback_authority(ok), "{ok}");
        }
        for bad in [
            "plumb.bank.example:8700",
            "10.0.0.1:8700",
            "127.0.0.1.evil.example",
            "localhost.evil.example",
            "evil.example/127.0.0.1",
            "127.0.0.1@evil.example",
            "[::2]:1",
        ] {
            assert!(!is_loopback_authority(bad), "{bad}");
        }
    }
}
