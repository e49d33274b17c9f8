"""``/auth/*``: status, login with the dashboard password, token regeneration, password change."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from pydantic import BaseModel, Field

from securitycam.api.common import ApiError, appliance, parse_body, public
from securitycam.api.guard import client_address, request_token
from securitycam.auth import RateLimiter, WrongPassword
from securitycam.auth.service import PASSWORD_MAX, PASSWORD_MIN

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__, url_prefix="/auth")

VALIDATE_ATTEMPTS = 5
VALIDATE_WINDOW = 60.0


class PasswordLogin(BaseModel):
    password: str = Field(max_length=1024)


class PasswordChange(BaseModel):
    current: str = Field(max_length=1024)
    new: str


def _validate_limiter() -> RateLimiter:
    limiter = current_app.extensions.get("securitycam.validate_limiter")
    if limiter is None:
        limiter = RateLimiter(VALIDATE_ATTEMPTS, VALIDATE_WINDOW, appliance().clock)
        current_app.extensions["securitycam.validate_limiter"] = limiter
    return limiter


@bp.get("/status")
@public
def status():  # type: ignore[no-untyped-def]
    token = request_token()
    return jsonify(
        enabled=appliance().auth.enabled,
        valid=appliance().auth.check_token(token) if token else None,
    )


@bp.post("/validate")
@public
def validate():  # type: ignore[no-untyped-def]
    limiter = _validate_limiter()
    client = client_address()
    retry_after = limiter.retry_after(client)
    if retry_after is not None:
        raise ApiError(429, f"too many attempts; try again in {retry_after} s", retry_after=retry_after)
    body = parse_body(PasswordLogin)
    auth = appliance().auth
    if not auth.check_password(body.password):
        limiter.record(client)
        log.warning("failed login from %s", client)
        return jsonify(valid=False)
    limiter.reset(client)
    return jsonify(valid=True, token=auth.issue_token())


@bp.post("/regenerate")
def regenerate():  # type: ignore[no-untyped-def]
    return jsonify(token=appliance().auth.regenerate())


@bp.post("/set-password")
def set_password():  # type: ignore[no-untyped-def]
    body = parse_body(PasswordChange)
    if not PASSWORD_MIN <= len(body.new) <= PASSWORD_MAX:
        raise ApiError(
            400, f"new password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters long", field="new"
        )
    try:
        appliance().auth.set_password(body.current, body.new)
    except WrongPassword as exc:
        raise ApiError(403, str(exc), field="current") from exc
    log.info("dashboard password changed")
    return jsonify(message="Password updated")
