"""Configuration, read only from the environment: nothing deployment-specific or secret lives
in the code or in files next to it."""

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass


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

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        url = env.get("DATABASE_URL", "").strip()
        if not url:
            raise ConfigError(
                "DATABASE_URL is not set; give the PostgreSQL database, "
                "e.g. DATABASE_URL=postgresql://app@localhost:5432/app"
            )
        return cls(
            database_url=url,
            host=env.get("BIND", "").strip() or cls.host,
            port=_int(env, "PORT", cls.port, 1, 65535),
            session_ttl_hours=_int(env, "SESSION_TTL_HOURS", cls.session_ttl_hours, 1, 24 * 30),
            log_level=_level(env),
            trusted_proxy_hops=_int(env, "TRUSTED_PROXY_HOPS", cls.trusted_proxy_hops, 0, 8),
        )
