"""Per-request checks every blueprint relies on: the token (when auth is on) and CORS.

A request is authenticated by the first credential that checks out; the order is documented so
clients know which one wins: ``Authorization: Bearer <token>``, then ``?token=<token>`` (for
EventSource, which cannot set headers). Views marked :func:`~securitycam.api.common.public` skip it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, g, request

from securitycam.api.common import appliance, error_response

PREFLIGHT_HEADERS = "Authorization, Content-Type, X-API-Key, Last-Event-ID"
PREFLIGHT_METHODS = "GET, POST, PUT, DELETE, OPTIONS"


def request_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.args.get("token") or None


def client_address() -> str:
    return request.remote_addr or "unknown"


def install_guard(app: Flask) -> None:
    @app.before_request
    def _authenticate():  # type: ignore[no-untyped-def]
        if request.method == "OPTIONS":
            return None
        view = app.view_functions.get(request.endpoint or "")
        auth = appliance().auth
        g.authenticated = auth.check_token(request_token())
        if view is None or getattr(view, "public", False) or not auth.enabled or g.authenticated:
            return None
        response = error_response(401, "authentication required")
        response.headers["WWW-Authenticate"] = 'Bearer realm="securitycam"'
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
