"""Command line: ``python -m app`` applies the migrations and serves; ``python -m app migrate``
only applies them (for a deployment job that migrates before the replicas start)."""

import logging
import sys

import uvicorn

from app import logs, migrate
from app.config import ConfigError, Settings
from app.db import make_engine
from app.main import create_app

USAGE = "usage: python -m app [serve|migrate]"


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "serve"
    if command not in ("serve", "migrate") or len(argv) > 1:
        print(USAGE, file=sys.stderr)
        return 2
    try:
        settings = Settings.from_env()
    except ConfigError as e:
        print(f"configuration error: {e}", file=sys.stderr)
        return 2
    logs.setup(settings.log_level)
    engine = make_engine(settings.database_url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    logging.getLogger("app").info("migrations applied", extra={"heads": sorted(migrate.scripts().heads)})
    if command == "serve":
        # Our middleware logs every request as JSON: uvicorn's access log would repeat it, and
        # its own logging configuration would replace the JSON formatter.
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
            # The client address is ours to judge (app/throttle.py, TRUSTED_PROXIES): uvicorn
            # would otherwise take X-Forwarded-For from any peer on 127.0.0.1 as the client.
            proxy_headers=False,
            server_header=False,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
