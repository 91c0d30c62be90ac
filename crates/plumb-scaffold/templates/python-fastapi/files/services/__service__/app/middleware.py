"""What every request passes through: a request id, one JSON log line, the metrics, the
security headers, and an error page instead of a stack trace."""

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import Request, Response

from app import logs, pages

log = logging.getLogger("app.request")

# A request id from a proxy is kept if it looks like one; anything else (too long, odd
# characters that could forge log fields) is replaced.
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

SECURITY_HEADERS = {
    # No scripts at all, forms only to this service, never framed.
    "Content-Security-Policy": "default-src 'self'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def request_id(given: str | None) -> str:
    """The request id: the caller's if it is a sane token, else a new one."""
    if given and _SANE_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


async def observe(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    started = time.perf_counter()
    rid = request_id(request.headers.get("x-request-id"))
    token = logs.request_id.set(rid)
    try:
        response = await call_next(request)
    except Exception:
        log.exception("request failed")
        response = pages.error(request, 500, "Something went wrong on our side. Try again later.")
    finally:
        logs.request_id.reset(token)
    elapsed = time.perf_counter() - started
    # The route pattern (/onboarding/{case_id}), never the raw path: bounded metric labels.
    route = getattr(request.scope.get("route"), "path", "unmatched")
    request.app.state.metrics.request(request.method, route, response.status_code, elapsed)
    log.info(
        "request",
        extra={
            "request_id": rid,
            "method": request.method,
            "path": request.url.path,
            "status": response.status_code,
            "duration_ms": round(elapsed * 1000, 3),
        },
    )
    response.headers["X-Request-Id"] = rid
    response.headers.update(SECURITY_HEADERS)
    if route != "/static":
        # Pages carry CSRF tokens and personal data: no shared or browser cache keeps them.
        response.headers["Cache-Control"] = "no-store"
    return response
