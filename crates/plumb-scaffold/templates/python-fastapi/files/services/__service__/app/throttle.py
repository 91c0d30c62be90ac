"""Sign-in throttling, per account and per client address.

Policy: a sign-in is refused (429, Retry-After) before its password is checked when the last 15
minutes hold 5 failed sign-ins for the same email address (whether or not such an account
exists, so the answer tells nothing about which do), or 20 from the same client address.
Refusals are recorded as ``login_throttled`` and do not count as failures, so the window ends 15
minutes after the last real failure. The counts come from ``auth_events``, so every replica of
the service sees the same ones.

The client address is the connection's peer; behind proxies, ``TRUSTED_PROXY_HOPS=n`` takes the
n-th address from the right of ``X-Forwarded-For`` (the one the outermost of your n proxies
saw). The header is read only when the peer is in ``TRUSTED_PROXIES``, and only when the n-1
entries right of the one taken are in it too (they were written by your inner proxies);
otherwise the peer counts. Never set the hops higher than the number of proxies you run: the
rest of the header is the client's to write.
"""

import ipaddress
from collections.abc import Iterable

from app.config import Network

from fastapi import Request
from sqlalchemy import Connection, text

#: Failed sign-ins for one email address within the window that stop further attempts.
MAX_FAILURES_PER_ACCOUNT = 5
#: Failed sign-ins from one client address within the window that stop further attempts.
MAX_FAILURES_PER_ADDRESS = 20
#: The window, in minutes.
WINDOW_MINUTES = 15


def _counted(address: str) -> str:
    """The address counted: an IPv4 address itself, an IPv6 address's /64 (one host commonly
    holds a whole /64 and could otherwise rotate through it); other text as it is."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    # An IPv4 client seen through a dual-stack socket (::ffff:1.2.3.4) is that IPv4 address,
    # not the /64 every IPv4 client would share.
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _trusted(address: str | None, proxies: Iterable[Network]) -> bool:
    """Whether ``address`` is in one of ``proxies`` (an IPv4-mapped IPv6 address as IPv4)."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if getattr(ip, "scope_id", None):
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == n.version and ip in n for n in proxies)


def client_address(
    peer: str | None, forwarded: list[str], hops: int, proxies: Iterable[Network] = ()
) -> str:
    """The address of a request from ``peer`` with ``X-Forwarded-For`` values ``forwarded``,
    trusting ``hops`` proxies that connect from ``proxies`` (an IPv6 address counted as its
    /64)."""
    proxies = tuple(proxies)
    if hops > 0 and _trusted(peer, proxies):
        chain = [a.strip() for v in forwarded for a in v.split(",") if a.strip()]
        if len(chain) >= hops:
            # The entries right of the client's were written by our inner proxies.
            inner = chain[len(chain) - hops + 1 :]
            if all(_trusted(a, proxies) for a in inner):
                try:
                    ip = ipaddress.ip_address(chain[len(chain) - hops])
                    # A zone id is no client address (the Rust template does not read one).
                    if not getattr(ip, "scope_id", None):
                        return _counted(str(ip))
                except ValueError:
                    pass
    return _counted(peer) if peer else "unknown"


def address_of(request: Request) -> str:
    """The client address of ``request`` under the service's settings."""
    peer = request.client.host if request.client else None
    settings = request.app.state.settings
    return client_address(
        peer,
        request.headers.getlist("x-forwarded-for"),
        settings.trusted_proxy_hops,
        settings.trusted_proxies,
    )


def refused(conn: Connection, email: str, address: str) -> bool:
    """Whether a sign-in for ``email`` from ``address`` must be refused now."""
    by_account, by_address = conn.execute(
        text(
            "SELECT count(*) FILTER (WHERE lower(email) = lower(:email)),"
            " count(*) FILTER (WHERE client_address = :address)"
            " FROM auth_events"
            " WHERE event = 'login_failure' AND at > now() - make_interval(mins => :window)"
        ),
        {"email": email, "address": address, "window": WINDOW_MINUTES},
    ).one()
    return by_account >= MAX_FAILURES_PER_ACCOUNT or by_address >= MAX_FAILURES_PER_ADDRESS
