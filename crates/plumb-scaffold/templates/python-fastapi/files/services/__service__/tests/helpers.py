"""What the integration tests do again and again: sign up, sign in, read a form's CSRF token."""

import re
import secrets

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.engine import URL

from app.config import Settings
from app.main import create_app

PASSWORD = "correct horse battery staple"  # pragma: allowlist secret (test account)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def settings_for(url: URL) -> Settings:
    return Settings(database_url=url.render_as_string(hide_password=False))


def new_client(url: URL) -> TestClient:
    # https: the session cookie is Secure, so the client only sends it over HTTPS.
    return TestClient(create_app(settings_for(url)), base_url="https://testserver", follow_redirects=False)


def csrf(client: TestClient, path: str = "/login") -> str:
    """The CSRF token of the form on `path` (visiting it gives the client a session)."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = _CSRF.search(page.text)
    assert found, f"no CSRF field on {path}"
    return found.group(1)


def new_email() -> str:
    return f"user-{secrets.token_hex(4)}@example.eu"


def register(client: TestClient, email: str, password: str = PASSWORD) -> Response:
    token = csrf(client, "/register")
    return client.post("/register", data={"email": email, "password": password, "csrf_token": token})


def login(client: TestClient, email: str, password: str = PASSWORD) -> Response:
    token = csrf(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def signed_up(client: TestClient) -> str:
    """Registers a new account and signs in with it; returns its email."""
    email = new_email()
    assert register(client, email).status_code == 303
    assert login(client, email).status_code == 303
    return email
