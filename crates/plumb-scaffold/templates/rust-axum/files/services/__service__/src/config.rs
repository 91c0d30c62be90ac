//! Configuration, from the environment only (twelve-factor): nothing is read from files, so
//! the same image runs in every environment.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `DATABASE_URL` | `postgresql://user:{password}@host:port/database` | required |
//! | `PORT` | port to listen on | 8080 |
//! | `BIND` | address to listen on | 127.0.0.1 (0.0.0.0 in the container) |
//! | `SESSION_TTL_HOURS` | lifetime of a signed-in session | 8 |
//! | `TRUSTED_PROXY_HOPS` | proxies in front whose `X-Forwarded-For` entry names the client (sign-in throttling) | 0 |
//! | `TRUSTED_PROXIES` | the proxies' addresses or networks, comma-separated (`10.0.0.0/8, 192.0.2.7`); required with `TRUSTED_PROXY_HOPS` | none |
//! | `LOG_LEVEL` | `error`, `warn` (or `warning`), `info`, `debug`, `trace` | info |

use std::net::{IpAddr, SocketAddr};

use crate::throttle::ProxyNetwork;

/// The service's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// PostgreSQL connection URL.
    pub database_url: String,
    /// Listening address.
    pub bind: SocketAddr,
    /// Lifetime of a signed-in session, in hours.
    pub session_ttl_hours: i64,
    /// Proxies in front of the service whose `X-Forwarded-For` entries are trusted.
    pub trusted_proxy_hops: usize,
    /// Where those proxies connect from: `X-Forwarded-For` is read only from these peers.
    pub trusted_proxies: Vec<ProxyNetwork>,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, String> {
        Config::from_vars(|k| std::env::var(k).ok())
    }

    /// Reads configuration through `get` (the environment, or a table in tests).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
        let database_url = get("DATABASE_URL").filter(|v| !v.is_empty()).ok_or(
            "DATABASE_URL is not set: give the PostgreSQL URL, e.g. postgresql://app@db:5432/app",
        )?;
        if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            return Err("DATABASE_URL must start with postgresql:// (or postgres://)".into());
        }
        let port: u16 = match get("PORT") {
            None => 8080,
            Some(p) => p
                .parse()
                .map_err(|_| format!("PORT {p:?} is not a port number"))?,
        };
        let ip: IpAddr = match get("BIND") {
            None => IpAddr::from([127, 0, 0, 1]),
            Some(b) => b
                .parse()
                .map_err(|_| format!("BIND {b:?} is not an IP address"))?,
        };
        let session_ttl_hours = match get("SESSION_TTL_HOURS") {
            None => 8,
            Some(h) => match h.parse::<i64>() {
                Ok(n) if (1..=24 * 30).contains(&n) => n,
                _ => return Err(format!("SESSION_TTL_HOURS {h:?} is not 1 to 720")),
            },
        };
        let trusted_proxy_hops = match get("TRUSTED_PROXY_HOPS") {
            None => 0,
            Some(h) => match h.parse::<usize>() {
                Ok(n) if n <= 8 => n,
                _ => return Err(format!("TRUSTED_PROXY_HOPS {h:?} is not 0 to 8")),
            },
        };
        let trusted_proxies = match get("TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(ProxyNetwork::parse)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("TRUSTED_PROXIES: {e}"))?,
        };
        // Either both or neither: hops without the proxies' addresses would let any client that
        // reaches the service directly write the address the throttling counts.
        if trusted_proxy_hops > 0 && trusted_proxies.is_empty() {
            return Err("TRUSTED_PROXY_HOPS is set but TRUSTED_PROXIES is empty: name the networks your proxies connect from, e.g. TRUSTED_PROXIES=10.0.0.0/8".into());
        }
        if trusted_proxy_hops == 0 && !trusted_proxies.is_empty() {
            return Err("TRUSTED_PROXIES is set but TRUSTED_PROXY_HOPS is 0: say how many proxies are in front, e.g. TRUSTED_PROXY_HOPS=1".into());
        }
        if let Some(l) = get("LOG_LEVEL")
            && log_filter(&l).is_none()
        {
            return Err(format!(
                "LOG_LEVEL {l:?} is not one of error, warn, info, debug, trace"
            ));
        }
        Ok(Config {
            database_url,
            bind: SocketAddr::new(ip, port),
            session_ttl_hours,
            trusted_proxy_hops,
            trusted_proxies,
        })
    }
}

/// The log filter for a LOG_LEVEL value (case-insensitive; `warning` as Python spells it).
pub fn log_filter(level: &str) -> Option<&'static str> {
    match level.trim().to_ascii_lowercase().as_str() {
        "error" => Some("error"),
        "warn" | "warning" => Some("warn"),
        "info" => Some("info"),
        "debug" => Some("debug"),
        "trace" => Some("trace"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> Result<Config, String> {
        Config::from_vars(|k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn defaults_and_errors() {
        let c = with(&[("DATABASE_URL", "postgresql://a@b/c")]).unwrap();
        assert_eq!(c.bind.port(), 8080);
        assert_eq!(c.session_ttl_hours, 8);
        assert!(with(&[]).unwrap_err().contains("DATABASE_URL"));
        assert!(with(&[("DATABASE_URL", "mysql://x")]).is_err());
        assert!(with(&[("DATABASE_URL", "postgres://a@b/c"), ("PORT", "http")]).is_err());
        assert!(
            with(&[
                ("DATABASE_URL", "postgres://a@b/c"),
                ("SESSION_TTL_HOURS", "0")
            ])
            .is_err()
        );
        assert!(with(&[("DATABASE_URL", "postgres://a@b/c"), ("LOG_LEVEL", "loud")]).is_err());
        assert!(
            with(&[
                ("DATABASE_URL", "postgres://a@b/c"),
                ("LOG_LEVEL", "WARNING")
            ])
            .is_ok()
        );
        let c = with(&[
            ("DATABASE_URL", "postgres://a@b/c"),
            ("PORT", "9000"),
            ("BIND", "127.0.0.1"),
        ])
        .unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:9000");
    }

    #[test]
    fn trusted_proxies_come_with_their_hops() {
        let url = ("DATABASE_URL", "postgres://a@b/c");
        let c = with(&[
            url,
            ("TRUSTED_PROXY_HOPS", "1"),
            ("TRUSTED_PROXIES", "10.0.0.0/8, 2001:db8::/32,192.0.2.7"),
        ])
        .unwrap();
        assert_eq!(c.trusted_proxy_hops, 1);
        assert_eq!(c.trusted_proxies.len(), 3);
        let e = with(&[url, ("TRUSTED_PROXY_HOPS", "1")]).unwrap_err();
        assert!(e.contains("TRUSTED_PROXIES is empty"), "{e}");
        let e = with(&[url, ("TRUSTED_PROXIES", "10.0.0.0/8")]).unwrap_err();
        assert!(e.contains("TRUSTED_PROXY_HOPS is 0"), "{e}");
        for bad in [
            "10.0.0.0/33",
            "10.1.2.3/8",
            "proxy.internal",
            "10.0.0.0/",
            "::/129",
        ] {
            let e =
                with(&[url, ("TRUSTED_PROXY_HOPS", "1"), ("TRUSTED_PROXIES", bad)]).unwrap_err();
            assert!(e.starts_with("TRUSTED_PROXIES:"), "{bad}: {e}");
        }
    }
}
