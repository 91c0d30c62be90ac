"""Configuration, read only from the environment: nothing deployment-specific or secret lives
in the code or in files next to it."""

import ipaddress
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

#: An IP network proxies connect from.
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ConfigError(Exception):
    """A missing or malformed environment variable; the message says which and what to do."""


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} is outside {low}..{high}")
    return value


def _level(env: Mapping[str, str]) -> str:
    level = env.get("LOG_LEVEL", "").strip().upper() or "INFO"
    if level not in logging.getLevelNamesMapping():
        raise ConfigError(f"LOG_LEVEL={level!r} is not a level (DEBUG, INFO, WARNING, ERROR)")
    return level


def _networks(env: Mapping[str, str]) -> tuple[Network, ...]:
    """TRUSTED_PROXIES: addresses or networks, comma-separated. A network with host bits set
    (10.1.2.3/8) is refused: it is usually a typing mistake in a security setting."""
    networks = []
    for item in env.get("TRUSTED_PROXIES", "").split(","):
        item = item.strip()
        if not item:
            continue
        # Digits only after '/', and no zone id: the Rust template reads the list the same way.
        _, slash, prefix = item.partition("/")
        if (slash and not (prefix.isascii() and prefix.isdigit())) or "%" in item:
            raise ConfigError(f"TRUSTED_PROXIES: {item!r} is not an IP address or network (address/prefix length)")
        try:
            networks.append(ipaddress.ip_network(item))
        except ValueError as e:
            raise ConfigError(f"TRUSTED_PROXIES: {item!r} is not an IP address or network ({e})") from None
    return tuple(networks)


@dataclass(frozen=True)
class Settings:
    """What the service needs to run."""

    #: PostgreSQL server and database, as libpq names them (postgresql://user@host:port/db).
    database_url: str
    #: Interface to listen on. Loopback unless the environment says otherwise (the container
    #: image sets 0.0.0.0), so a developer's run is not reachable from the network.
    host: str = "127.0.0.1"
    port: int = 8080
    #: Lifetime of a signed-in session.
    session_ttl_hours: int = 8
    log_level: str = "INFO"
    #: Proxies in front whose X-Forwarded-For entries are trusted (sign-in throttling).
    trusted_proxy_hops: int = 0
    #: Where those proxies connect from: X-Forwarded-For is read only from these peers.
    trusted_proxies: tuple[Network, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        url = env.get("DATABASE_URL", "").strip()
        if not url:
            raise ConfigError(
                "DATABASE_URL is not set; give the PostgreSQL database, "
                "e.g. DATABASE_URL=postgresql://app@localhost:5432/app"
            )
        hops = _int(env, "TRUSTED_PROXY_HOPS", cls.trusted_proxy_hops, 0, 8)
        proxies = _networks(env)
        # Either both or neither: hops without the proxies' addresses would let any client that
        # reaches the service directly write the address the throttling counts.
        if hops and not proxies:
            raise ConfigError(
                "TRUSTED_PROXY_HOPS is set but TRUSTED_PROXIES is empty: name the networks your "
                "proxies connect from, e.g. TRUSTED_PROXIES=10.0.0.0/8"
            )
        if proxies and not hops:
            raise ConfigError(
                "TRUSTED_PROXIES is set but TRUSTED_PROXY_HOPS is 0: say how many proxies are in "
                "front, e.g. TRUSTED_PROXY_HOPS=1"
            )
        return cls(
            database_url=url,
            host=env.get("BIND", "").strip() or cls.host,
            port=_int(env, "PORT", cls.port, 1, 65535),
            session_ttl_hours=_int(env, "SESSION_TTL_HOURS", cls.session_ttl_hours, 1, 24 * 30),
            log_level=_level(env),
            trusted_proxy_hops=hops,
            trusted_proxies=proxies,
        )
