"""``/auth/*`` of ``appliance-api.md``: status, login with the dashboard password, token
regeneration, password change. The dashboard password is the ``admin`` user's."""

from __future__ import annotations

import logging

from flask import Blueprint, g, jsonify, request
from pydantic import BaseModel, Field

from securitycam.api.accounts import NewPassword, change_own_password
from securitycam.api.common import appliance, parse_body, public, self_service
from securitycam.api.guard import client_address, request_token
from securitycam.auth import LoginFailed
from securitycam.auth.accounts import SESSION_COOKIES
from securitycam.auth.users import ADMIN

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__, url_prefix="/auth")


class PasswordLogin(BaseModel):
    password: str = Field(max_length=1024)
    totp_code: str | None = Field(None, max_length=64)


class PasswordChange(BaseModel):
    current: str = Field(max_length=1024)
    new: NewPassword


@bp.get("/status")
@public
def status():  # type: ignore[no-untyped-def]
    """Whether auth is on and, if the request carries any credential (token, session, key), whether it is good."""
    presented = (
        request_token() or request.headers.get("X-API-Key") or any(name in request.cookies for name in SESSION_COOKIES)
    )
    return jsonify(enabled=appliance().auth.enabled, valid=(g.identity is not None) if presented else None)


@bp.post("/validate")
@public
def validate():  # type: ignore[no-untyped-def]
    body = parse_body(PasswordLogin)
    try:
        appliance().accounts.login(client_address(), ADMIN, body.password, body.totp_code)
    except LoginFailed as exc:
        if exc.status == 429:
            raise
        # The spec's answer to a wrong password is a plain {"valid": false}.
        return jsonify(valid=False, **({"message": str(exc), **exc.extra} if exc.extra else {}))
    return jsonify(valid=True, token=appliance().auth.issue_token())


@bp.post("/regenerate")
def regenerate():  # type: ignore[no-untyped-def]
    return jsonify(token=appliance().auth.regenerate())


@bp.post("/set-password")
@self_service
def set_password():  # type: ignore[no-untyped-def]
    """Change the caller's own password (the dashboard password when the caller is ``admin``)."""
    body = parse_body(PasswordChange)
    return change_own_password(body.current, body.new, {"message": "Password updated"})
