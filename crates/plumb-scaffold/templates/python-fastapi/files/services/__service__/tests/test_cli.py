"""Tests of the ways the service starts: python -m app [serve|migrate], uvicorn --factory."""

import json
import logging

import pytest
from sqlalchemy import create_engine, pool

from app import __main__ as cli
from app import migrate
from app.config import Settings
from app.main import create_app


@pytest.fixture(autouse=True)
def keep_root_logging():
    """The command configures the root logger; the next tests get pytest's back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_unknown_commands_print_the_usage(capsys):
    assert cli.main(["deploy"]) == 2
    assert cli.main(["migrate", "now"]) == 2
    assert "usage: python -m app [serve|migrate]" in capsys.readouterr().err


def test_a_missing_database_url_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert cli.main(["migrate"]) == 2
    assert "DATABASE_URL is not set" in capsys.readouterr().err


@pytest.mark.integration
def test_migrate_and_serve_apply_the_migrations_first(databases, monkeypatch):
    url = databases.create()
    monkeypatch.setenv("DATABASE_URL", url.render_as_string(hide_password=False))
    monkeypatch.setenv("PORT", "18080")
    served = {}
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))

    assert cli.main(["migrate"]) == 0
    assert not served, "migrate does not serve"
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        assert migrate.applied(conn) == migrate.scripts().heads
    engine.dispose()

    assert cli.main([]) == 0
    assert served["port"] == 18080 and served["host"] == "127.0.0.1"
    assert served["access_log"] is False and served["log_config"] is None
    assert served["app"].state.settings.port == 18080


def test_an_app_served_by_uvicorn_alone_still_logs_json(capsys):
    logging.getLogger().handlers[:] = []  # as under uvicorn --factory: nobody set up logging
    create_app(Settings(database_url="postgresql://nobody@127.0.0.1:1/none"))
    logging.getLogger("app.test").warning("hello")
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["msg"] == "hello"
