"""Unit tests: the client address the sign-in throttling counts."""

from ipaddress import ip_network

from app.throttle import client_address

PROXIES = (ip_network("10.0.0.0/8"), ip_network("2001:db8:ff::/48"))


def test_the_address_is_the_peer_unless_proxies_are_trusted():
    assert client_address("10.0.0.7", ["1.2.3.4"], 0, PROXIES) == "10.0.0.7"
    assert client_address("10.0.0.7", ["1.2.3.4"], 1, PROXIES) == "1.2.3.4"
    # The client wrote the left part; only our proxy's entry counts.
    assert client_address("10.0.0.7", ["6.6.6.6, 1.2.3.4"], 1, PROXIES) == "1.2.3.4"
    assert client_address("10.0.0.7", ["6.6.6.6", "1.2.3.4, 10.1.1.1"], 2, PROXIES) == "1.2.3.4"
    assert client_address("10.0.0.7", [], 1, PROXIES) == "10.0.0.7"
    assert client_address("10.0.0.7", ["nonsense"], 1, PROXIES) == "10.0.0.7"
    assert client_address(None, [], 0) == "unknown"
    assert client_address(None, ["1.2.3.4"], 1, PROXIES) == "unknown"


def test_the_header_is_read_only_from_trusted_proxies():
    # A client reaching the service directly writes what it likes: its own address counts.
    assert client_address("203.0.113.5", ["1.2.3.4"], 1, PROXIES) == "203.0.113.5"
    # An inner entry that is not one of our proxies: the chain is not ours, the peer counts.
    assert client_address("10.0.0.7", ["1.2.3.4, 6.6.6.6"], 2, PROXIES) == "10.0.0.7"
    # IPv6 proxies, and an IPv4 proxy seen through a dual-stack socket.
    assert client_address("2001:db8:ff:1::9", ["1.2.3.4"], 1, PROXIES) == "1.2.3.4"
    assert client_address("::ffff:10.9.9.9", ["1.2.3.4"], 1, PROXIES) == "1.2.3.4"
    # No proxies at all, or a peer that is not an address (the test client): nothing is trusted.
    assert client_address("10.0.0.7", ["1.2.3.4"], 1, ()) == "10.0.0.7"
    assert client_address("testclient", ["1.2.3.4"], 1, PROXIES) == "testclient"
    # A zone id is not a client address, as in the Rust template.
    assert client_address("10.0.0.7", ["fe80::1%eth0"], 1, PROXIES) == "10.0.0.7"


def test_an_ipv4_client_through_a_dual_stack_socket_is_its_ipv4_address():
    assert client_address("::ffff:203.0.113.5", [], 0) == "203.0.113.5"
    assert client_address("10.0.0.7", ["::ffff:198.51.100.9"], 1, PROXIES) == "198.51.100.9"


def test_ipv6_is_counted_by_its_64():
    a = client_address("2001:db8:1:2::17", [], 0)
    assert a == "2001:db8:1:2::/64"
    assert client_address("2001:db8:1:2:ffff::1", [], 0) == a
    assert client_address("10.0.0.7", ["2001:db8:9::5"], 1, PROXIES) == "2001:db8:9::/64"
