"""What every blueprint shares: JSON errors, body validation, the auth exemption marker.

Errors no view handles end in :func:`install_error_handlers`: a full disk (a file write's
``ENOSPC``/``EDQUOT``, SQLite's "database or disk is full") is ``507 Insufficient Storage`` with
a message saying so, and wakes the storage janitor; anything else is a logged ``500``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask, current_app, jsonify, request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException

from securitycam import diskfull
from securitycam.imaging import CONVERSION_WAIT_SECONDS, ImageBusy
from securitycam.paths import PathRefused

if TYPE_CHECKING:
    from securitycam.appliance import Appliance

log = logging.getLogger("securitycam.api")

M = TypeVar("M", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., Any])


class ApiError(Exception):
    """Raise from a view to answer ``{"success": false, "message": ...}`` with ``status``."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


def error_response(status: int, message: str, **extra: Any):  # type: ignore[no-untyped-def]
    response = jsonify({"success": False, "message": message, **extra})
    response.status_code = status
    return response


def describe_validation(exc: ValidationError) -> tuple[str, str]:
    """The first failing field as ``a.b`` and a sentence naming it."""
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "body"
    return field, f"{field}: {first['msg']}"


def appliance() -> Appliance:
    return current_app.extensions["securitycam"]


def public(view: F) -> F:
    """Mark a view as reachable without a token (``/auth/status``, ``/auth/validate``)."""
    view.public = True  # type: ignore[attr-defined]
    return view


def admin_only(view: F) -> F:
    """Mark a read-only view as admin-only because what it shows is sensitive (users, API keys).

    Views that change state need no marker: the guard gives them to admins only by default.
    """
    view.admin_only = True  # type: ignore[attr-defined]
    return view


def self_service(view: F) -> F:
    """Mark a state-changing view any logged-in user may call, because it acts on the caller only
    (their own password, their own second factor). The view itself must make sure it does."""
    view.self_service = True  # type: ignore[attr-defined]
    return view


def json_object(optional: bool = False) -> dict[str, Any]:
    """The request's JSON body, which must be an object; an absent body is ``{}`` if ``optional``."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if optional:
            return {}
        raise ApiError(400, "a JSON body is required")
    try:
        data = request.get_json(force=True, silent=False)
    except (HTTPException, RecursionError) as exc:  # nested deeper than the decoder recurses: not a ValueError
        raise ApiError(400, "malformed JSON body") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "the JSON body must be an object")
    return data


# The largest integer SQLite holds: a query parameter beyond it would reach SQLite as an OverflowError.
SQLITE_MAX_INT = 2**63 - 1


def query_int(name: str, default: int, low: int, high: int = SQLITE_MAX_INT) -> int:
    """The whole-number query parameter ``name`` (``default`` when absent); a 400 names it otherwise."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ApiError(400, f"{name}: must be an integer", field=name) from exc
    if value < low or value > high:
        bounds = f"at least {low}" if value < low and high == SQLITE_MAX_INT else f"between {low} and {high}"
        raise ApiError(400, f"{name}: must be {bounds}", field=name)
    return value


def validate(model: type[M], data: Any, strict: bool | None = None) -> M:
    """``data`` checked against ``model`` (``strict=True``: no ``"5"`` for 5, no ``true`` for 1; ``None``
    keeps the model's own strictness, e.g. a ``StrictBool`` field); a 400 names the first field that fails."""
    try:
        return model.model_validate(data, strict=strict)
    except ValidationError as exc:
        field, message = describe_validation(exc)
        raise ApiError(400, message, field=field) from exc


def parse_body(model: type[M], optional: bool = False) -> M:
    """Validate the JSON body against ``model``; a 400 names the first field that fails."""
    return validate(model, json_object(optional=optional))


def install_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):  # type: ignore[no-untyped-def]
        response = error_response(exc.status, exc.message, **exc.extra)
        if "retry_after" in exc.extra:
            response.headers["Retry-After"] = str(exc.extra["retry_after"])
        return response

    @app.errorhandler(PathRefused)
    def _path_refused(exc: PathRefused):  # type: ignore[no-untyped-def]
        return error_response(400, f"invalid path: {exc}")

    @app.errorhandler(ImageBusy)
    def _image_busy(exc: ImageBusy):  # type: ignore[no-untyped-def]
        return _api_error(ApiError(503, str(exc), retry_after=round(CONVERSION_WAIT_SECONDS / 2)))

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError):  # type: ignore[no-untyped-def]
        field, message = describe_validation(exc)
        return error_response(400, message, field=field)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):  # type: ignore[no-untyped-def]
        response = error_response(exc.code or 500, exc.description or exc.name)
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        if diskfull.report(exc):
            log.warning("%s %s: %s", request.method, request.path, diskfull.reason(exc))
            return error_response(507, f"the data disk is full ({diskfull.reason(exc)}), so this could not be "
                                  "saved or recorded. Delete clips or snapshots (with StorageLimit.enabled on, "
                                  "the oldest are deleted for you), then try again", error="insufficient_storage")
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal error")
