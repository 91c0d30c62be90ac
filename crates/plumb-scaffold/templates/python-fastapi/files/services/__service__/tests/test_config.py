"""Unit tests: configuration from the environment."""

import pytest

from app.config import ConfigError, Settings
from app.db import sqlalchemy_url


def test_database_url_is_required_with_a_clear_message():
    with pytest.raises(ConfigError, match="DATABASE_URL is not set"):
        Settings.from_env({})


def test_defaults_and_overrides():
    s = Settings.from_env({"DATABASE_URL": "postgresql://app@db:5432/app"})
    assert (s.host, s.port, s.session_ttl_hours, s.log_level) == ("127.0.0.1", 8080, 8, "INFO")
    env = {
        "DATABASE_URL": "postgresql://x@y/z",
        "BIND": "::",
        "PORT": "9000",
        "SESSION_TTL_HOURS": "2",
        "LOG_LEVEL": "debug",
    }
    s = Settings.from_env(env)
    assert (s.host, s.port, s.session_ttl_hours, s.log_level) == ("::", 9000, 2, "DEBUG")


@pytest.mark.parametrize(
    "name,value", [("PORT", "eighty"), ("PORT", "70000"), ("SESSION_TTL_HOURS", "0"), ("LOG_LEVEL", "LOUD")]
)
def test_malformed_values_are_refused(name, value):
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({"DATABASE_URL": "postgresql://x@y/z", name: value})


def test_trusted_proxies_come_with_their_hops():
    base = {"DATABASE_URL": "postgresql://x@y/z"}
    s = Settings.from_env(base | {"TRUSTED_PROXY_HOPS": "1", "TRUSTED_PROXIES": "10.0.0.0/8, 2001:db8::/32,192.0.2.7"})
    assert s.trusted_proxy_hops == 1
    assert [str(n) for n in s.trusted_proxies] == ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7/32"]
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES is empty"):
        Settings.from_env(base | {"TRUSTED_PROXY_HOPS": "1"})
    with pytest.raises(ConfigError, match="TRUSTED_PROXY_HOPS is 0"):
        Settings.from_env(base | {"TRUSTED_PROXIES": "10.0.0.0/8"})


@pytest.mark.parametrize(
    "value",
    ["10.0.0.0/33", "10.1.2.3/8", "proxy.internal", "10.0.0.0/", "::/129", "10.0.0.0/255.0.0.0", "10.0.0.0/+8", "fe80::1%eth0"],
)
def test_malformed_proxy_networks_are_refused(value):
    with pytest.raises(ConfigError, match="^TRUSTED_PROXIES:"):
        Settings.from_env({"DATABASE_URL": "postgresql://x@y/z", "TRUSTED_PROXY_HOPS": "1", "TRUSTED_PROXIES": value})


def test_database_urls_get_the_psycopg_driver():
    for given in ["postgresql://u:p@h:5/d", "postgres://u:p@h:5/d", "postgresql+psycopg://u:p@h:5/d"]:  # pragma: allowlist secret
        u = sqlalchemy_url(given)
        assert u.drivername == "postgresql+psycopg"
        assert (u.username, u.password, u.host, u.port, u.database) == ("u", "p", "h", 5, "d")
    tls = sqlalchemy_url("postgresql://u@h/d?sslmode=verify-full&sslrootcert=/ca.pem")
    assert tls.query == {"sslmode": "verify-full", "sslrootcert": "/ca.pem"}, "TLS settings reach the driver"
    with pytest.raises(ValueError):
        sqlalchemy_url("mysql://u@h/d")


@pytest.mark.parametrize(
    "query,message",
    [
        ("sslmode=require", "would accept any server certificate"),
        ("sslmode=verify-ca", "would accept any server certificate"),
        ("sslmode=prefer", "would accept any server certificate"),
        ("sslmode=verify-full", "needs sslrootcert"),
        ("sslrootcert=/ca.pem", "without sslmode=verify-full"),
    ],
)
def test_only_verified_tls_or_none_is_accepted(query, message):
    with pytest.raises(ValueError, match=message):
        sqlalchemy_url(f"postgresql://u@h/d?{query}")
