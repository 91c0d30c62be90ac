"""Integration tests: registration, sign-in, sessions, CSRF and the auth event record."""

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from app import TITLE, security
from helpers import PASSWORD, csrf, login, new_email, register, signed_up

pytestmark = pytest.mark.integration


def _session_cookie(response) -> str:
    cookies = [c for c in response.headers.get_list("set-cookie") if c.startswith("session=")]
    assert len(cookies) == 1, response.headers
    return cookies[0]


def _events(db, email: str) -> list[tuple]:
    with db.connect() as conn:
        return conn.execute(
            text("SELECT event, user_id IS NOT NULL FROM auth_events WHERE lower(email) = lower(:e) ORDER BY id"),
            {"e": email},
        ).all()


def test_register_sign_in_and_sign_out(client, db):
    home = client.get("/")
    assert home.status_code == 200 and TITLE in home.text and "Signed in as" not in home.text
    email = new_email()

    r = register(client, email)
    assert r.status_code == 303 and r.headers["location"] == "/login?registered=1"
    assert "Registered." in client.get("/login?registered=1").text
    assert "session" not in client.cookies, "a visitor who is not signed in has no session"
    assert "__Host-csrf" in client.cookies


    r = login(client, email)
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = _session_cookie(r)
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=28800"]:
        assert attribute in cookie, cookie
    signed_in = client.cookies["session"]
    with db.connect() as conn:
        stored = conn.execute(text("SELECT id_hash, user_id IS NOT NULL FROM sessions")).all()
    assert (security.token_hash(signed_in), True) in stored
    assert all(user for _, user in stored), "no session rows for visitors who are not signed in"
    assert signed_in not in {h for h, _ in stored}, "only the token's hash is stored"

    home = client.get("/")
    assert f"Signed in as {email}" in home.text
    assert 'action="/logout"' in home.text

    r = client.post("/logout", data={"csrf_token": csrf(client, "/")})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert "Max-Age=0" in _session_cookie(r)
    assert "session" not in client.cookies, "the browser dropped the cookie"
    replayed = client.get("/", headers={"Cookie": f"session={signed_in}"})
    assert "Signed in as" not in replayed.text, "the old session no longer authenticates"
    assert _events(db, email) == [("register", True), ("login_success", True), ("logout", True)]


def test_posts_without_a_matching_csrf_token_are_refused(client):
    email = signed_up(client)
    token = csrf(client, "/")
    for data in [{}, {"csrf_token": ""}, {"csrf_token": token + "x"}, {"csrf_token": security.new_token()}]:
        r = client.post("/logout", data=data)
        assert r.status_code == 403, data
        assert "CSRF check failed" in r.text
    r = client.post("/login", data={"email": email, "password": PASSWORD})
    assert r.status_code == 403
    assert f"Signed in as {email}" in client.get("/").text, "nothing happened"


def test_posts_without_a_session_are_refused(client):
    token = csrf(client, "/register")
    client.cookies.clear()
    r = client.post("/register", data={"email": new_email(), "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 403 and "CSRF check failed" in r.text


def test_a_wrong_password_is_401_and_recorded(client, db):
    email = new_email()
    assert register(client, email).status_code == 303
    r = login(client, email, PASSWORD + "!")
    assert r.status_code == 401
    assert "Wrong email or password." in r.text
    assert "set-cookie" not in r.headers
    assert "Signed in as" not in client.get("/").text
    r = login(client, new_email())
    assert r.status_code == 401, "an unknown email gets the same answer"
    assert _events(db, email) == [("register", True), ("login_failure", True)]
    metrics = client.get("/metrics").text
    assert 'auth_logins_total{result="failure"} 2.0' in metrics
    assert 'auth_logins_total{result="success"} 0.0' in metrics


def test_email_letter_case_does_not_matter(client, db):
    email = new_email()
    assert register(client, email).status_code == 303
    r = register(client, email.upper())
    assert r.status_code == 400
    assert "could not register with these details" in r.text
    assert login(client, email.upper()).status_code == 303
    assert ("register_refused", False) in _events(db, email)


@pytest.mark.parametrize(
    "email,password,message",
    [
        ("no-at-sign.example.eu", PASSWORD, "enter a valid email address"),
        ("a" * 250 + "@b.eu", PASSWORD, "enter a valid email address"),
        (None, "short", "use at least 12 characters"),
        (None, "x" * 257, "use at most 256 characters"),
    ],
)
def test_invalid_registrations_are_400_with_the_form(client, db, email, password, message):
    email = email or new_email()
    r = client.post("/register", data={"email": email, "password": password, "csrf_token": csrf(client, "/register")})
    assert r.status_code == 400
    assert message in r.text and 'name="csrf_token"' in r.text
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users WHERE email = :e"), {"e": email}).scalar() == 0


def test_what_users_type_is_escaped_in_pages(client):
    email = f"<b>{new_email()}"
    assert register(client, email).status_code == 303
    assert login(client, email).status_code == 303
    home = client.get("/").text
    assert "&lt;b&gt;" in home and "<b>" not in home


def test_a_hash_with_older_parameters_is_renewed_at_sign_in(client, db):
    email = new_email()
    older = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    with db.begin() as conn:
        conn.execute(text("INSERT INTO users (email, password_hash) VALUES (:e, :h)"), {"e": email, "h": older})
    assert login(client, email).status_code == 303
    with db.connect() as conn:
        renewed = conn.execute(text("SELECT password_hash FROM users WHERE email = :e"), {"e": email}).scalar_one()
    assert renewed != older and not security.needs_rehash(renewed)
    assert security.verify_password(renewed, PASSWORD)


def _throttled_client(database_url, address: str, peer: str = "10.0.0.2"):
    """A browser behind one trusted proxy (in 10.0.0.0/8) that reports ``address`` for it, or
    with ``peer`` outside it, a client reaching the service directly with that header."""
    from dataclasses import replace
    from ipaddress import ip_network

    from fastapi.testclient import TestClient

    from app.main import create_app
    from helpers import settings_for

    settings = replace(
        settings_for(database_url), trusted_proxy_hops=1, trusted_proxies=(ip_network("10.0.0.0/8"),)
    )
    return TestClient(
        create_app(settings),
        base_url="https://testserver",
        follow_redirects=False,
        headers={"X-Forwarded-For": address},
        client=(peer, 50000),
    )


def test_sign_ins_are_throttled_per_account_and_per_address(database_url, db):
    with (
        _throttled_client(database_url, "192.0.2.1") as owner,
        _throttled_client(database_url, "198.51.100.9") as attacker,
        _throttled_client(database_url, "192.0.2.2") as other,
    ):
        email = new_email()
        assert register(owner, email).status_code == 303
        for _ in range(5):
            assert login(attacker, email, "guess guess guess").status_code == 401
        # The account is throttled: even the right password, from any address, waits.
        r = login(attacker, email)
        assert r.status_code == 429, r.text
        assert r.headers["retry-after"] == "900"
        assert "Too many failed sign-ins" in r.text
        assert login(owner, email.upper()).status_code == 429
        # An address that does not exist is throttled the same way.
        ghost = new_email()
        for _ in range(5):
            assert login(attacker, ghost, "guess guess guess").status_code == 401
        assert login(attacker, ghost, "guess guess guess").status_code == 429
        # Twenty failures from one address stop that address, whatever the account.
        for _ in range(10):
            assert login(attacker, new_email(), "guess guess guess").status_code == 401
        assert login(attacker, new_email(), "guess guess guess").status_code == 429
        # Another address signing in another account is not affected.
        assert register(other, other_email := new_email()).status_code == 303
        assert login(other, other_email).status_code == 303
    with db.connect() as conn:
        throttled = conn.execute(
            text(
                "SELECT count(*) FROM auth_events WHERE event = 'login_throttled'"
                " AND client_address IN ('192.0.2.1', '198.51.100.9')"
            )
        ).scalar_one()
    assert throttled == 4


def test_visitors_without_a_session_write_no_session_rows(database_url, db):
    from app import sessions
    from helpers import new_client

    def rows() -> int:
        with db.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM sessions")).scalar_one()

    with new_client(database_url) as visitor, new_client(database_url) as stranger:
        before = rows()
        for path in ["/", "/login", "/register", "/login", "/register"]:
            assert visitor.get(path).status_code == 200
        assert rows() == before, "looking writes nothing"
        assert "session" not in visitor.cookies
        token = csrf(visitor, "/register")
        assert visitor.cookies["__Host-csrf"] == token, "the form's token is the cookie's"
        email = new_email()
        form = {"email": email, "password": PASSWORD}

        # Without its cookie, tampered, or expired (signed with the right key): refused.
        assert stranger.post("/register", data={**form, "csrf_token": token}).status_code == 403
        for bad in [token + "x", sessions.anonymous_token(_key(db), 1, "n")]:
            visitor.cookies.clear()
            visitor.cookies.set("__Host-csrf", bad)
            assert visitor.post("/register", data={**form, "csrf_token": bad}).status_code == 403
        visitor.cookies.clear()
        visitor.cookies.set("__Host-csrf", token)
        assert visitor.post("/register", data={**form, "csrf_token": token}).status_code == 303
        assert rows() == before
        assert login(visitor, email).status_code == 303
        assert rows() == before + 1, "signing in makes the one session"


def _key(db) -> bytes:
    with db.connect() as conn:
        return bytes(conn.execute(text("SELECT key FROM csrf_key WHERE id = 1")).scalar_one())


def test_parallel_wrong_passwords_cannot_outrun_the_throttle(database_url, db):
    """A burst of parallel wrong passwords for one account: at most five failures are checked
    and recorded, the rest are refused before their password is."""
    from concurrent.futures import ThreadPoolExecutor

    from helpers import new_client

    email = new_email()
    with new_client(database_url) as owner:
        assert register(owner, email).status_code == 303

    def attempt(_: int) -> int:
        with new_client(database_url) as c:
            return login(c, email, "guess guess guess").status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(attempt, range(12)))
    assert set(statuses) <= {401, 429}, statuses
    with db.connect() as conn:
        failures = conn.execute(
            text("SELECT count(*) FROM auth_events WHERE event = 'login_failure' AND lower(email) = lower(:e)"),
            {"e": email},
        ).scalar_one()
    assert failures == 5, f"the burst outran the throttle: {statuses}"
    assert statuses.count(429) == 7


def test_a_forwarded_address_from_outside_the_proxies_is_ignored(database_url, db):
    # A client reaching the service directly cannot choose the address its failures count against.
    with _throttled_client(database_url, "192.0.2.77", peer="203.0.113.9") as direct:
        email = new_email()
        assert login(direct, email, "guess guess guess").status_code == 401
    with db.connect() as conn:
        counted = conn.execute(
            text("SELECT client_address FROM auth_events WHERE event = 'login_failure' AND email = :e"),
            {"e": email},
        ).scalar_one()
    assert counted == "203.0.113.9"
