"""The dashboard: the static site built from ``dashboard/`` (Astro) into ``securitycam/dashboard/``,
which ships inside the Python package (a Pi never runs Node), served under ``/ui/`` from the same
origin as the API, so the session cookie and the CSRF cookie need no CORS.

The pages are public files (the login page must load signed out; no page holds data): each page's
script asks the API, which checks the session, and goes to the login page on a 401.

Caching: Astro names every bundled script and style after a hash of its content
(``_astro/<name>.<hash>.js``), so those are cached for a year as immutable; HTML pages and the few
unhashed files (the icon) are ``no-cache``, revalidated by ETag at each load, so that an update of
the appliance shows at once. ``GET /`` from a browser (it accepts HTML) is redirected to ``/ui/``.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, jsonify, redirect, request, send_from_directory
from werkzeug.exceptions import NotFound

from securitycam.api.common import ApiError, public

SITE = Path(__file__).resolve().parent.parent / "dashboard"
PREFIX = "/ui/"
HASHED_ASSETS = "_astro/"
YEAR = 365 * 24 * 3600

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@public
def root():  # type: ignore[no-untyped-def]
    if request.accept_mimetypes.accept_html:
        return redirect(PREFIX, 302)
    return jsonify(success=True, message=f"securitycam: the dashboard is at {PREFIX}, the Frigate API at /api/")


@bp.get("/ui")
@public
def site_root():  # type: ignore[no-untyped-def]
    return redirect(PREFIX, 301)


@bp.get("/ui/")
@bp.get("/ui/<path:name>")
@public
def site(name: str = "") -> Response:
    if not (SITE / "index.html").is_file():
        raise ApiError(503, "the dashboard is not built: run scripts/build_dashboard.sh")
    if name == "" or name.endswith("/"):
        return _send(f"{name}index.html")
    if "." not in name.rsplit("/", 1)[-1] and (SITE / name / "index.html").is_file():
        return redirect(f"{PREFIX}{name}/", 301)  # the pages' relative links need the slash
    return _send(name)


def _send(name: str) -> Response:
    try:
        response = send_from_directory(SITE, name)
    except NotFound:
        if name.startswith(HASHED_ASSETS) or not (SITE / "404.html").is_file():
            raise
        response = send_from_directory(SITE, "404.html")
        response.status_code = 404
        response.cache_control.no_cache = True
        return response
    if name.startswith(HASHED_ASSETS):
        response.cache_control.public = True
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
    else:
        response.cache_control.no_cache = True
        response.cache_control.max_age = None
    return response
