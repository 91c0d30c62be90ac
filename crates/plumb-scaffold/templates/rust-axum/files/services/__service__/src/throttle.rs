//! Sign-in throttling, per account and per client address.
//!
//! Policy: a sign-in is refused (429, `Retry-After`) before its password is checked when the
//! last 15 minutes hold 5 failed sign-ins for the same email address (whether or not such an
//! account exists, so the answer tells nothing about which do), or 20 from the same client
//! address. Refusals are recorded as `login_throttled` and do not count as failures, so the
//! window ends 15 minutes after the last real failure. The counts come from `auth_events`, so
//! every replica of the service sees the same ones.
//!
//! The client address is the connection's peer; behind proxies, `TRUSTED_PROXY_HOPS=n` takes
//! the n-th address from the right of `X-Forwarded-For` (the one the outermost of your n
//! proxies saw). Never set it higher than the number of proxies you run: the rest of the header
//! is the client's to write.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::AppState;
use crate::web::AppError;

/// Failed sign-ins for one email address within the window that stop further attempts.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
/// Failed sign-ins from one client address within the window that stop further attempts.
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
/// The window, in minutes.
pub const WINDOW_MINUTES: i32 = 15;

/// The client's address, as the throttling counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(pub String);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let forwarded: Vec<&str> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        Ok(ClientAddress(client_address(
            peer,
            &forwarded,
            state.config.trusted_proxy_hops,
        )))
    }
}

/// The address counted for `ip`: an IPv4 address itself, an IPv6 address's /64 (one host
/// commonly holds a whole /64 and could otherwise rotate through it).
fn counted(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let network = std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1));
            format!("{network}/64")
        }
    }
}

/// The address of a request from `peer` with `X-Forwarded-For` values `forwarded`, trusting
/// `hops` proxies (an IPv6 address counted as its /64).
pub fn client_address(peer: Option<IpAddr>, forwarded: &[&str], hops: usize) -> String {
    if hops > 0 {
        let chain: Vec<&str> = forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .collect();
        if let Some(a) = chain
            .len()
            .checked_sub(hops)
            .and_then(|i| chain.get(i))
            .and_then(|a| a.parse::<IpAddr>().ok())
        {
            return counted(a);
        }
    }
    peer.map_or_else(|| "unknown".to_string(), counted)
}

/// Whether a sign-in for `email` from `address` must be refused now.
pub async fn refused(state: &AppState, email: &str, address: &str) -> Result<bool, AppError> {
    let client = state.pool.get().await?;
    let row = client
        .query_one(
            "SELECT count(*) FILTER (WHERE lower(email) = lower($1)),
                    count(*) FILTER (WHERE client_address = $2)
             FROM auth_events
             WHERE event = 'login_failure' AND at > now() - make_interval(mins => $3)",
            &[&email, &address, &WINDOW_MINUTES],
        )
        .await?;
    let (by_account, by_address): (i64, i64) = (row.get(0), row.get(1));
    Ok(by_account >= MAX_FAILURES_PER_ACCOUNT || by_address >= MAX_FAILURES_PER_ADDRESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_is_the_peer_unless_proxies_are_trusted() {
        let peer = Some(IpAddr::from([10, 0, 0, 7]));
        assert_eq!(client_address(peer, &["1.2.3.4"], 0), "10.0.0.7");
        assert_eq!(client_address(peer, &["1.2.3.4"], 1), "1.2.3.4");
        // The client wrote the left part; only our proxy's entry counts.
        assert_eq!(client_address(peer, &["6.6.6.6, 1.2.3.4"], 1), "1.2.3.4");
        assert_eq!(
            client_address(peer, &["6.6.6.6", "1.2.3.4, 10.1.1.1"], 2),
            "1.2.3.4"
        );
        // Too few entries, or not an address: the peer.
        assert_eq!(client_address(peer, &[], 1), "10.0.0.7");
        assert_eq!(client_address(peer, &["nonsense"], 1), "10.0.0.7");
        assert_eq!(client_address(None, &[], 0), "unknown");
        // IPv6: the /64, wherever in it the host sits.
        let a: IpAddr = "2001:db8:1:2::17".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
        assert_eq!(client_address(Some(a), &[], 0), "2001:db8:1:2::/64");
        assert_eq!(
            client_address(Some(a), &[], 0),
            client_address(Some(b), &[], 0)
        );
        assert_eq!(
            client_address(peer, &["2001:db8:9::5"], 1),
            "2001:db8:9::/64"
        );
    }
}
