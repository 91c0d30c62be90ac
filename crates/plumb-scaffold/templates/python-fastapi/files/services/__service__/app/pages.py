"""Server-rendered pages: Jinja2 templates in app/templates/ (HTML autoescaped), the error page."""

from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from app import HAS_ONBOARDING, TITLE, sessions

templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
        autoescape=jinja2.select_autoescape(),
        # Block tags leave no blank lines behind in the HTML.
        trim_blocks=True,
        lstrip_blocks=True,
    )
)
templates.env.globals.update(service_title=TITLE, has_onboarding=HAS_ONBOARDING)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


templates.env.filters["utc"] = _utc


def render(
    request: Request,
    name: str,
    title: str,
    session: sessions.Session | None,
    *,
    csrf_cookie: str | None = None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page. `session` fills the navigation (and the CSRF fields); `csrf_cookie` is a new
    signed CSRF token of a visitor without a session, sent as their ``__Host-csrf`` cookie."""
    response = templates.TemplateResponse(
        request, name, {"title": title, "session": session, **context}, status_code=status
    )
    if csrf_cookie is not None:
        sessions.set_csrf_cookie(response, csrf_cookie)
    return response


def redirect(location: str) -> RedirectResponse:
    """303 See Other: after a POST the browser fetches the next page with GET."""
    return RedirectResponse(location, status_code=303)


def error(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> HTMLResponse:
    """The error page; the reason shown is for people, details stay in the log."""
    response = render(request, "error.html", HTTPStatus(status).phrase, None, status=status, message=message)
    response.headers.update(headers or {})
    return response


def http_error(request: Request, exc: HTTPException) -> HTMLResponse:
    """Renders HTTPException (ours and the router's 404 and 405) as a page."""
    return error(request, exc.status_code, str(exc.detail), exc.headers)
