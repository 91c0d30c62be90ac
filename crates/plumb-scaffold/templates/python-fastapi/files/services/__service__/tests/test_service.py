"""Integration tests: health, readiness, metrics, headers and error pages."""

import pytest
from sqlalchemy.engine import make_url

from app import HAS_ONBOARDING, SERVICE
from app.middleware import SECURITY_HEADERS
from helpers import new_client, signed_up

pytestmark = pytest.mark.integration


def test_health_and_readiness(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok", "service": SERVICE}
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json() == {"status": "ready"}


def test_not_ready_before_the_migrations(databases):
    with new_client(databases.create()) as c:
        r = c.get("/readyz")
    assert r.status_code == 503
    assert r.json() == {"status": "not ready", "reason": "migrations pending"}


def test_not_ready_without_the_database():
    # Port 1 on the loopback: nothing listens, the connection is refused at once.
    with new_client(make_url("postgresql+psycopg://nobody@127.0.0.1:1/none")) as c:
        r = c.get("/readyz")
        assert r.status_code == 503
        assert r.json() == {"status": "not ready", "reason": "database unavailable"}
        assert c.get("/healthz").status_code == 200, "liveness does not depend on the database"
        r = c.get("/login")
        assert r.status_code == 500, "a page needing the database fails cleanly"
        assert "Something went wrong" in r.text and "Traceback" not in r.text
        assert r.headers["X-Frame-Options"] == "DENY"


def test_metrics_count_requests_by_route(client):
    signed_up(client)
    client.get("/no-such-page")
    text = client.get("/metrics").text
    assert 'http_requests_total{method="GET",route="/login",status="200"}' in text
    assert 'http_requests_total{method="POST",route="/login",status="303"} 1.0' in text
    assert 'http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text
    assert 'http_request_duration_seconds_bucket{le="0.005",method="GET",route="/login"}' in text
    assert 'auth_logins_total{result="success"} 1.0' in text
    assert "auth_registrations_total 1.0" in text


def test_every_response_has_the_security_headers_and_a_request_id(client):
    for path in ["/", "/login", "/healthz", "/static/app.css", "/no-such-page"]:
        r = client.get(path)
        for name, value in SECURITY_HEADERS.items():
            assert r.headers[name] == value, (path, name)
        assert len(r.headers["X-Request-Id"]) == 32
    assert client.get("/", headers={"X-Request-Id": "trace-42"}).headers["X-Request-Id"] == "trace-42"
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_unknown_pages_are_404_pages(client):
    r = client.get("/no-such-page")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    assert "<h1>Not Found</h1>" in r.text
    r = client.get("/logout")
    assert r.status_code == 405, "sign-out is a POST"


def test_the_stylesheet_is_served_locally(client):
    r = client.get("/static/app.css")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/css")
    assert "/static/app.css" in client.get("/").text
    assert "<script" not in client.get("/").text


def test_onboarding_routes_exist_only_with_a_workflow(client):
    signed_up(client)
    home = client.get("/").text
    metrics = client.get("/metrics").text
    if HAS_ONBOARDING:
        assert client.get("/onboarding").status_code == 200
        assert 'href="/onboarding"' in home
        assert "# TYPE onboarding_transitions_total counter" in metrics
    else:
        assert client.get("/onboarding").status_code == 404
        assert "/onboarding" not in home
        assert "onboarding_transitions_total" not in metrics
