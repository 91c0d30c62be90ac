"""Unit tests: the client address the sign-in throttling counts."""

from app.throttle import client_address


def test_the_address_is_the_peer_unless_proxies_are_trusted():
    assert client_address("10.0.0.7", ["1.2.3.4"], 0) == "10.0.0.7"
    assert client_address("10.0.0.7", ["1.2.3.4"], 1) == "1.2.3.4"
    # The client wrote the left part; only our proxy's entry counts.
    assert client_address("10.0.0.7", ["6.6.6.6, 1.2.3.4"], 1) == "1.2.3.4"
    assert client_address("10.0.0.7", ["6.6.6.6", "1.2.3.4, 10.1.1.1"], 2) == "1.2.3.4"
    assert client_address("10.0.0.7", [], 1) == "10.0.0.7"
    assert client_address("10.0.0.7", ["nonsense"], 1) == "10.0.0.7"
    assert client_address(None, [], 0) == "unknown"


def test_ipv6_is_counted_by_its_64():
    a = client_address("2001:db8:1:2::17", [], 0)
    assert a == "2001:db8:1:2::/64"
    assert client_address("2001:db8:1:2:ffff::1", [], 0) == a
    assert client_address("10.0.0.7", ["2001:db8:9::5"], 1) == "2001:db8:9::/64"
