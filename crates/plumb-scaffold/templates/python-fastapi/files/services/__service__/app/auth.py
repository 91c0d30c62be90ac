"""Home page, registration, sign-in and sign-out. Every outcome is written to auth_events."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.engine import Engine

from app import TITLE, pages, security, sessions, throttle, users

router = APIRouter()


class CsrfForm(BaseModel):
    """A form carrying only the CSRF token. A missing field is empty, and then refused by the
    check (403), not by the framework (422)."""

    csrf_token: str = ""


class Credentials(CsrfForm):
    """The registration and sign-in form."""

    email: str = ""
    password: str = ""


def _engine(request: Request) -> Engine:
    return request.app.state.engine


def require_user(request: Request) -> tuple[sessions.User, sessions.Session] | None:
    """The signed-in user of a request and their session, or None (the caller redirects to the
    sign-in page)."""
    with _engine(request).begin() as conn:
        session = sessions.current(conn, request)
    if session is None or session.user is None:
        return None
    return session.user, session


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    with _engine(request).begin() as conn:
        session, token = sessions.ensure(conn, request)
    return pages.render(request, "home.html", TITLE, session, csrf_cookie=token)


@router.get("/register", response_class=HTMLResponse)
def register_form(request: Request) -> Response:
    with _engine(request).begin() as conn:
        session, token = sessions.ensure(conn, request)
    return pages.render(request, "register.html", "Register", session, csrf_cookie=token, email="")


@router.post("/register")
def register(request: Request, form: Annotated[Credentials, Form()]) -> Response:
    engine = _engine(request)
    with engine.begin() as conn:
        session = sessions.checked(conn, request, form.csrf_token)
    email, password = form.email.strip(), form.password

    def refuse(message: str) -> Response:
        return pages.render(
            request, "register.html", "Register", session, status=400, email=email, error=message
        )

    problem = security.email_problem(email) or security.password_problem(password)
    if problem:
        return refuse(problem)
    # Hashed before the duplicate check, so a taken address costs the same time as a new one.
    password_hash = security.hash_password(password)
    with engine.begin() as conn:
        user_id = users.create(conn, email, password_hash)
        users.record(conn, user_id, email, "register" if user_id else "register_refused")
    if user_id is None:
        # The message does not confirm that the address is taken.
        return refuse("could not register with these details")
    request.app.state.metrics.registrations.inc()
    return pages.redirect("/login?registered=1")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, registered: str | None = None) -> Response:
    with _engine(request).begin() as conn:
        session, token = sessions.ensure(conn, request)
    return pages.render(
        request,
        "login.html",
        "Sign in",
        session,
        csrf_cookie=token,
        email="",
        notice="Registered. Sign in with your new account." if registered else None,
    )


@router.post("/login")
def login(request: Request, form: Annotated[Credentials, Form()]) -> Response:
    engine = _engine(request)
    email = form.email.strip()
    # One sign-in per account at a time, until this one is answered: the throttle's count and
    # the failure this attempt may record are not raced by parallel attempts (a burst would
    # otherwise all pass the check). The lock belongs to this transaction and ends with it.
    with engine.begin() as guard:
        guard.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('sign-in:' || lower(:email)))"),
            {"email": email},
        )
        return _login(request, form, email)


def _login(request: Request, form: Credentials, email: str) -> Response:
    engine, metrics = _engine(request), request.app.state.metrics
    password = form.password
    address = throttle.address_of(request)
    with engine.begin() as conn:
        session = sessions.checked(conn, request, form.csrf_token)
        if throttle.refused(conn, email, address):
            users.record(conn, None, email, "login_throttled", address)
            response = pages.render(
                request,
                "login.html",
                "Sign in",
                session,
                status=429,
                email=email,
                error="Too many failed sign-ins: try again in 15 minutes.",
            )
            response.headers["Retry-After"] = str(throttle.WINDOW_MINUTES * 60)
            return response
        account = users.find(conn, email)
    if account is None:
        security.waste_verification(password)
    if account is None or not security.verify_password(account.password_hash, password):
        metrics.logins.labels(result="failure").inc()
        with engine.begin() as conn:
            users.record(conn, account.id if account else None, email, "login_failure", address)
        return pages.render(
            request,
            "login.html",
            "Sign in",
            session,
            status=401,
            email=email,
            error="Wrong email or password.",
        )
    user = sessions.User(account.id, account.email)
    ttl = request.app.state.settings.session_ttl_hours
    with engine.begin() as conn:
        # A new session replaces the anonymous one: a session id planted before sign-in is
        # worth nothing after it.
        sessions.delete(conn, session)
        _, token = sessions.create(conn, user, ttl)
        if security.needs_rehash(account.password_hash):
            users.set_password_hash(conn, account.id, security.hash_password(password))
        users.record(conn, user.id, user.email, "login_success", address)
    metrics.logins.labels(result="success").inc()
    response = pages.redirect("/")
    sessions.set_cookie(response, token, ttl)
    return response


@router.post("/logout")
def logout(request: Request, form: Annotated[CsrfForm, Form()]) -> Response:
    with _engine(request).begin() as conn:
        session = sessions.checked(conn, request, form.csrf_token)
        sessions.delete(conn, session)
        if session.user is not None:
            users.record(conn, session.user.id, session.user.email, "logout")
    response = pages.redirect("/login")
    sessions.expire_cookie(response)
    return response
