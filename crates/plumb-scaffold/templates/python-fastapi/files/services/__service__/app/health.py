"""Liveness and readiness for the orchestrator."""

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from app import SERVICE, migrate

router = APIRouter()
log = logging.getLogger(__name__)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok", "service": SERVICE}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Readiness: the database answers and has every migration of this release."""
    try:
        with request.app.state.engine.connect() as conn:
            applied = migrate.applied(conn)
    except SQLAlchemyError as e:
        log.warning("not ready: database unavailable", extra={"error": str(e).splitlines()[0]})
        return JSONResponse({"status": "not ready", "reason": "database unavailable"}, status_code=503)
    if not request.app.state.migrations.satisfied_by(applied):
        return JSONResponse({"status": "not ready", "reason": "migrations pending"}, status_code=503)
    return JSONResponse({"status": "ready"})
