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
//! proxies saw). The header is read only when the peer is in `TRUSTED_PROXIES`, and only when
//! the n-1 entries right of the one taken are in it too (they were written by your inner
//! proxies); otherwise the peer counts. Never set the hops higher than the number of proxies
//! you run: the rest of the header is the client's to write.

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

/// An IP network the service's proxies connect from (`TRUSTED_PROXIES`): an address, or an
/// address with a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyNetwork {
    network: IpAddr,
    prefix: u8,
}

impl ProxyNetwork {
    /// Parses `10.0.0.0/8`, `2001:db8::/32` or a single address. A network with host bits set
    /// (`10.1.2.3/8`) is refused: it is usually a typing mistake in a security setting.
    pub fn parse(text: &str) -> Result<ProxyNetwork, String> {
        let (addr, prefix) = match text.split_once('/') {
            None => (text, None),
            Some((a, p)) => (a, Some(p)),
        };
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or network"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            // Digits only (no sign, no netmask notation), as the Python template reads it.
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= max && p.bytes().all(|b| b.is_ascii_digit()) => n,
                _ => return Err(format!("{text:?}: the prefix length must be 0 to {max}")),
            },
        };
        let n = ProxyNetwork { network, prefix };
        if n.masked(network) != bits(network) {
            return Err(format!(
                "{text:?} has host bits set: write the network's first address"
            ));
        }
        Ok(n)
    }

    /// Whether `ip` is in the network (an IPv4-mapped IPv6 address as its IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        ip.is_ipv4() == self.network.is_ipv4() && self.masked(ip) == self.masked(self.network)
    }

    fn masked(&self, ip: IpAddr) -> u128 {
        let width = if ip.is_ipv4() { 32 } else { 128 };
        let host_bits = width - u32::from(self.prefix);
        let mask = if host_bits >= 128 {
            0
        } else {
            !((1u128 << host_bits) - 1)
        };
        bits(ip) & mask
    }
}

fn bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

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
        // Lossy, not all or nothing: a client's bytes in the part it wrote must not hide the
        // entries our proxies appended to the same line.
        let forwarded: Vec<String> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        let forwarded: Vec<&str> = forwarded.iter().map(String::as_str).collect();
        Ok(ClientAddress(client_address(
            peer,
            &forwarded,
            state.config.trusted_proxy_hops,
            &state.config.trusted_proxies,
        )))
    }
}

/// The address counted for `ip`: an IPv4 address itself, an IPv6 address's /64 (one host
/// commonly holds a whole /64 and could otherwise rotate through it).
fn counted(ip: IpAddr) -> String {
    // An IPv4 client seen through a dual-stack socket (`::ffff:1.2.3.4`) is that IPv4
    // address, not the /64 every IPv4 client would share.
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let network = std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1));
            format!("{network}/64")
        }
    }
}

/// The address of a request from `peer` with `X-Forwarded-For` values `forwarded`, trusting
/// `hops` proxies that connect from `proxies` (an IPv6 address counted as its /64).
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded: &[&str],
    hops: usize,
    proxies: &[ProxyNetwork],
) -> String {
    let trusted = |ip: IpAddr| proxies.iter().any(|n| n.contains(ip));
    if hops > 0 && peer.is_some_and(trusted) {
        let chain: Vec<&str> = forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .collect();
        if let Some(i) = chain.len().checked_sub(hops) {
            // The entries right of the client's were written by our inner proxies.
            let inner_trusted = chain
                .iter()
                .skip(i + 1)
                .all(|a| a.parse::<IpAddr>().is_ok_and(trusted));
            if let Some(a) = chain.get(i).and_then(|a| a.parse::<IpAddr>().ok())
                && inner_trusted
            {
                return counted(a);
            }
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

    fn nets(list: &[&str]) -> Vec<ProxyNetwork> {
        list.iter()
            .map(|n| ProxyNetwork::parse(n).unwrap())
            .collect()
    }

    #[test]
    fn the_address_is_the_peer_unless_proxies_are_trusted() {
        let proxies = nets(&["10.0.0.0/8"]);
        let peer = Some(IpAddr::from([10, 0, 0, 7]));
        let at = |peer, forwarded: &[&str], hops| client_address(peer, forwarded, hops, &proxies);
        assert_eq!(at(peer, &["1.2.3.4"], 0), "10.0.0.7");
        assert_eq!(at(peer, &["1.2.3.4"], 1), "1.2.3.4");
        // The client wrote the left part; only our proxy's entry counts.
        assert_eq!(at(peer, &["6.6.6.6, 1.2.3.4"], 1), "1.2.3.4");
        assert_eq!(at(peer, &["6.6.6.6", "1.2.3.4, 10.1.1.1"], 2), "1.2.3.4");
        // Too few entries, or not an address: the peer.
        assert_eq!(at(peer, &[], 1), "10.0.0.7");
        assert_eq!(at(peer, &["nonsense"], 1), "10.0.0.7");
        assert_eq!(at(None, &[], 0), "unknown");
        assert_eq!(at(None, &["1.2.3.4"], 1), "unknown");
    }

    #[test]
    fn the_header_is_read_only_from_trusted_proxies() {
        let proxies = nets(&["10.0.0.0/8", "2001:db8:ff::/48"]);
        // A client reaching the service directly writes what it likes: its own address counts.
        let direct = Some(IpAddr::from([203, 0, 113, 5]));
        assert_eq!(
            client_address(direct, &["1.2.3.4"], 1, &proxies),
            "203.0.113.5"
        );
        // An inner entry that is not one of our proxies: the chain is not ours, the peer counts.
        let peer = Some(IpAddr::from([10, 0, 0, 7]));
        assert_eq!(
            client_address(peer, &["1.2.3.4, 6.6.6.6"], 2, &proxies),
            "10.0.0.7"
        );
        // IPv6 proxies, and an IPv4 proxy seen through a dual-stack socket.
        let v6: IpAddr = "2001:db8:ff:1::9".parse().unwrap();
        assert_eq!(
            client_address(Some(v6), &["1.2.3.4"], 1, &proxies),
            "1.2.3.4"
        );
        let mapped: IpAddr = "::ffff:10.9.9.9".parse().unwrap();
        assert_eq!(
            client_address(Some(mapped), &["1.2.3.4"], 1, &proxies),
            "1.2.3.4"
        );
        // No proxies at all: nothing is trusted.
        assert_eq!(client_address(peer, &["1.2.3.4"], 1, &[]), "10.0.0.7");
    }

    #[test]
    fn proxy_networks_parse_and_match() {
        let n = ProxyNetwork::parse("192.168.0.0/16").unwrap();
        assert!(n.contains(IpAddr::from([192, 168, 44, 1])));
        assert!(!n.contains(IpAddr::from([192, 169, 0, 1])));
        assert!(!n.contains("::1".parse().unwrap()));
        let one = ProxyNetwork::parse("192.0.2.7").unwrap();
        assert!(one.contains(IpAddr::from([192, 0, 2, 7])));
        assert!(!one.contains(IpAddr::from([192, 0, 2, 8])));
        let all = ProxyNetwork::parse("0.0.0.0/0").unwrap();
        assert!(all.contains(IpAddr::from([8, 8, 8, 8])));
        let all6 = ProxyNetwork::parse("::/0").unwrap();
        assert!(all6.contains("2001:db8::1".parse().unwrap()));
        for bad in [
            "10.1.2.3/8",
            "10.0.0.0/33",
            "::/129",
            "x/8",
            "10.0.0.0/-1",
            "10.0.0.0/+8",
            "10.0.0.0/255.0.0.0",
            "fe80::1%eth0",
            "",
        ] {
            assert!(ProxyNetwork::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_ipv4_client_through_a_dual_stack_socket_is_its_ipv4_address() {
        let mapped: IpAddr = "::ffff:203.0.113.5".parse().unwrap();
        assert_eq!(client_address(Some(mapped), &[], 0, &[]), "203.0.113.5");
        let proxies = nets(&["10.0.0.0/8"]);
        let peer = Some(IpAddr::from([10, 0, 0, 7]));
        assert_eq!(
            client_address(peer, &["::ffff:198.51.100.9"], 1, &proxies),
            "198.51.100.9"
        );
    }

    #[test]
    fn ipv6_is_counted_by_its_64() {
        let proxies = nets(&["10.0.0.0/8"]);
        let a: IpAddr = "2001:db8:1:2::17".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
        assert_eq!(client_address(Some(a), &[], 0, &[]), "2001:db8:1:2::/64");
        assert_eq!(
            client_address(Some(a), &[], 0, &[]),
            client_address(Some(b), &[], 0, &[])
        );
        let peer = Some(IpAddr::from([10, 0, 0, 7]));
        assert_eq!(
            client_address(peer, &["2001:db8:9::5"], 1, &proxies),
            "2001:db8:9::/64"
        );
    }
}
