"""Per-request checks every blueprint relies on: who is asking, may they, and CORS.

Authentication (:meth:`securitycam.auth.Accounts.identify`) tries, in this order: the appliance
token (``Authorization: Bearer`` or ``?token=``, for EventSource, which cannot set headers), a
session JWT (``Authorization: Bearer``, then the ``auth_token``, ``media_token`` and
``frigate_token`` cookies), an API key (``X-API-Key``). The first that checks out wins and is
kept in ``g.identity`` (user, role, how; also ``g.user`` and ``g.role``). Views marked
:func:`~securitycam.api.common.public` skip the check.

Authorization is one general rule, so an endpoint added later is covered without doing anything:
``GET``/``HEAD``/``OPTIONS`` are open to every role, anything else needs ``admin``, except views
marked :func:`~securitycam.api.common.self_service`; read-only views that show secrets are marked
:func:`~securitycam.api.common.admin_only`.

CSRF: a browser sends cookies on its own, so a state-changing request authenticated by a cookie
must also carry ``X-CSRF-Token`` (a header another site cannot add without a CORS preflight,
which only the appliance's own origins pass), equal to the ``csrf_token`` cookie when the login
set one. Bearer and API-key requests are not affected.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, g, request

from securitycam.api.common import appliance, error_response
from securitycam.auth import Credentials, Identity, NotAuthenticated
from securitycam.auth.accounts import SESSION_COOKIES
from securitycam.auth.users import ADMIN

PREFLIGHT_HEADERS = "Authorization, Content-Type, X-API-Key, X-CSRF-Token, Last-Event-ID"
PREFLIGHT_METHODS = "GET, POST, PUT, DELETE, OPTIONS"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_COOKIE = "csrf_token"
DASHBOARD_COOKIES = ("auth_token", "media_token")
FRIGATE_COOKIES = ("frigate_token",)


def bearer_token() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def request_token() -> str | None:
    return bearer_token() or request.args.get("token") or None


def client_address() -> str:
    return request.remote_addr or "unknown"


def current_identity() -> Identity:
    """The identity the guard established for this (non-public) request."""
    return g.identity


def set_session_cookies(response: Response, token: str, names: tuple[str, ...], new_csrf: bool = True) -> None:
    """Put the session JWT in HttpOnly cookies ``names`` (and a readable CSRF cookie for the dashboard)."""
    secure = request.is_secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"
    max_age = appliance().accounts.sessions.session_length
    for name in names:
        response.set_cookie(name, token, max_age=max_age, httponly=True, secure=secure, samesite="Lax")
    if new_csrf:
        response.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(24), max_age=max_age, secure=secure, samesite="Strict")


def cookies_for(cookie: str) -> tuple[str, ...]:
    """The cookies to renew for a session that arrived in ``cookie``: Frigate's own, or the dashboard's pair."""
    return FRIGATE_COOKIES if cookie in FRIGATE_COOKIES else DASHBOARD_COOKIES


def clear_session_cookies(response: Response) -> None:
    for name in (*SESSION_COOKIES, CSRF_COOKIE):
        response.delete_cookie(name)


def _credentials() -> Credentials:
    return Credentials(
        bearer=bearer_token(),
        query_token=request.args.get("token") or None,
        cookies={name: request.cookies[name] for name in SESSION_COOKIES if name in request.cookies},
        api_key=request.headers.get("X-API-Key") or None,
    )


def _csrf_ok() -> bool:
    header = request.headers.get(CSRF_HEADER)
    if not header:
        return False
    cookie = request.cookies.get(CSRF_COOKIE)
    return cookie is None or hmac.compare_digest(header, cookie)


def _authorize(view: object, identity: Identity) -> Response | None:
    unsafe = request.method not in SAFE_METHODS
    if unsafe and identity.cookie and not _csrf_ok():
        return error_response(
            403, f"a change made with a session cookie needs the {CSRF_HEADER} header (the {CSRF_COOKIE} cookie)"
        )
    if identity.is_admin:
        return None
    if getattr(view, "admin_only", False) or (unsafe and not getattr(view, "self_service", False)):
        return error_response(403, f"this needs the admin role; {identity.username!r} is a {identity.role}")
    return None


def install_guard(app: Flask) -> None:
    @app.before_request
    def _authenticate():  # type: ignore[no-untyped-def]
        g.identity = None
        if request.method == "OPTIONS":
            return None
        view = app.view_functions.get(request.endpoint or "")
        accounts = appliance().accounts
        failure = "authentication required"
        try:
            g.identity = accounts.identify(_credentials())
        except NotAuthenticated as exc:
            failure = str(exc)
        g.authenticated = g.identity is not None
        if view is None or getattr(view, "public", False):
            return None
        if g.identity is None:
            if appliance().auth.enabled:
                response = error_response(401, failure)
                response.headers["WWW-Authenticate"] = 'Bearer realm="securitycam"'
                return response
            g.identity = Identity(accounts.users.get(ADMIN), "admin", "open")
        g.user, g.role = g.identity.user, g.identity.role
        return _authorize(view, g.identity)

    @app.after_request
    def _refresh_session(response: Response) -> Response:
        identity: Identity | None = g.get("identity")
        if (
            identity is None
            or identity.session is None
            or identity.cookie is None
            or identity.user is None
            or response.status_code >= 400
            or any(
                cookie.startswith(f"{name}=")
                for cookie in response.headers.getlist("Set-Cookie")
                for name in SESSION_COOKIES
            )
        ):
            return response
        sessions = appliance().accounts.sessions
        if sessions.needs_refresh(identity.session):
            set_session_cookies(response, sessions.issue(identity.user), cookies_for(identity.cookie), new_csrf=False)
        return response

    @app.after_request
    def _cors(response: Response) -> Response:
        origin = request.headers.get("Origin")
        if origin and _origin_allowed(origin):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Credentials"] = "true"
            if request.method == "OPTIONS":
                response.headers["Access-Control-Allow-Methods"] = PREFLIGHT_METHODS
                response.headers["Access-Control-Allow-Headers"] = PREFLIGHT_HEADERS
                response.headers["Access-Control-Max-Age"] = "600"
        response.vary.add("Origin")
        return response


def _origin_allowed(origin: str) -> bool:
    """The appliance's own origins: its API and dashboard ports on the host the browser used."""
    server = appliance().settings.get().Server
    if origin in server.cors_origins:
        return True
    try:
        parts = urlsplit(origin)
        host = urlsplit(f"//{request.host}")
        origin_port = parts.port or (443 if parts.scheme == "https" else 80)
        own_ports = {host.port or 80, server.dashboard_port, 80, 443}
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and parts.hostname == host.hostname and origin_port in own_ports
