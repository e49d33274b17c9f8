"""Accounts on ``/auth`` (VibeNVR's shape): login sessions, ``/auth/me``, API keys, two-factor.

``POST /auth/login`` takes form data (``username``, ``password``, optional ``totp_code``; a JSON
body works too), answers ``{"access_token", "token_type": "bearer"}`` and sets the session in the
HttpOnly ``auth_token`` and ``media_token`` cookies, plus a readable ``csrf_token`` cookie whose
value the dashboard echoes in ``X-CSRF-Token`` on changes (see :mod:`securitycam.api.guard`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, Field, ValidationError, field_validator

from securitycam.api.common import (
    ApiError,
    admin_only,
    appliance,
    describe_validation,
    error_response,
    parse_body,
    public,
    self_service,
)
from securitycam.api.guard import (
    DASHBOARD_COOKIES,
    clear_session_cookies,
    client_address,
    cookies_for,
    current_identity,
    set_session_cookies,
)
from securitycam.auth import LoginFailed
from securitycam.auth.apikeys import ApiKey
from securitycam.auth.passwords import PASSWORD_MAX, PASSWORD_MIN
from securitycam.auth.twofactor import TwoFactorError
from securitycam.auth.users import User, UserError

bp = Blueprint("accounts", __name__, url_prefix="/auth")

NewPassword = Annotated[str, Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]
Secret = Annotated[str, Field(max_length=1024)]


class LoginForm(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: Secret
    totp_code: str | None = Field(None, max_length=64)


class ApiKeyRequest(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    expires_at: datetime | None = None

    @field_validator("expires_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        # A date without a zone is read as UTC, like every time the appliance stores.
        return value.replace(tzinfo=UTC) if value and value.tzinfo is None else value


class PasswordBody(BaseModel):
    password: Secret


class CodeBody(BaseModel):
    code: str = Field(min_length=1, max_length=64)


# -- errors raised below the HTTP layer, answered in the project's JSON shape --------------------
@bp.app_errorhandler(LoginFailed)
def _login_failed(exc: LoginFailed):  # type: ignore[no-untyped-def]
    response = error_response(exc.status, str(exc), **exc.extra)
    if "retry_after" in exc.extra:
        response.headers["Retry-After"] = str(exc.extra["retry_after"])
    return response


@bp.app_errorhandler(UserError)
@bp.app_errorhandler(TwoFactorError)
def _account_error(exc: UserError | TwoFactorError):  # type: ignore[no-untyped-def]
    return error_response(exc.status, str(exc))


# -- helpers shared with the Frigate endpoints -----------------------------------------------------
def iso(epoch: float | None) -> str | None:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z") if epoch is not None else None


def own_user() -> User:
    user = current_identity().user
    if user is None:
        raise ApiError(403, "this needs a signed-in user")
    return user


def start_session(user: User, answer: Callable[[str], Response], cookies: tuple[str, ...]) -> Response:
    """A new session for ``user``: ``answer(token)`` is the response, carrying it in ``cookies``."""
    token = appliance().accounts.sessions.issue(user)
    response = answer(token)
    set_session_cookies(response, token, cookies, new_csrf=cookies == DASHBOARD_COOKIES)
    return response


def password_changed(user: User, answer: dict[str, Any]) -> Response:
    """Answer a password change; if it was the caller's own, keep the caller (only) signed in.

    Changing a password ends the user's sessions; the device that made the change gets a fresh one.
    """
    appliance().auth.password_changed(user.username)
    identity = current_identity()
    if identity.via != "session" or identity.user is None or identity.user.id != user.id:
        return jsonify(answer)
    cookies = cookies_for(identity.cookie) if identity.cookie else ()
    return start_session(user, lambda token: jsonify({**answer, "access_token": token}), cookies)


def change_own_password(current: str, new: str, answer: dict[str, Any], field: str = "current") -> Response:
    user = own_user()
    try:
        appliance().accounts.confirm_password(client_address(), user, current)
    except LoginFailed as exc:
        if exc.status == 429:
            raise
        raise ApiError(403, "the current password is wrong", field=field) from exc
    return password_changed(appliance().accounts.users.set_password(user.username, new), answer)


def login_form() -> LoginForm:
    """The login fields from form data (VibeNVR) or, for scripts, a JSON object."""
    data = request.form.to_dict() if request.form else None
    if data is None:
        return parse_body(LoginForm)
    try:
        return LoginForm.model_validate(data)
    except ValidationError as exc:
        field, message = describe_validation(exc)
        raise ApiError(400, message, field=field) from exc


# -- sessions ----------------------------------------------------------------------------------
@bp.post("/login")
@public
def login():  # type: ignore[no-untyped-def]
    form = login_form()
    user = appliance().accounts.login(client_address(), form.username, form.password, form.totp_code)
    return start_session(user, lambda token: jsonify(access_token=token, token_type="bearer"), DASHBOARD_COOKIES)


@bp.post("/logout")
@public
def logout():  # type: ignore[no-untyped-def]
    response = jsonify(success=True)
    clear_session_cookies(response)
    return response


@bp.get("/me")
def me():  # type: ignore[no-untyped-def]
    identity = current_identity()
    user = identity.user
    return jsonify(
        id=user.id if user else None,
        username=identity.username,
        role=identity.role,
        is_2fa_enabled=bool(user and user.totp_enabled),
        auth_method=identity.via,
    )


# -- API keys ----------------------------------------------------------------------------------
def _key_json(key: ApiKey, secret: str | None = None) -> dict[str, Any]:
    shown: dict[str, Any] = {"id": key.id, "name": key.name}
    if secret is not None:
        shown["key"] = secret
    return {
        **shown,
        "user": key.username,
        "created": iso(key.created),
        "expires_at": iso(key.expires_at),
        "last_used": iso(key.last_used),
        "expired": key.expires_at is not None and key.expires_at <= appliance().clock.time(),
    }


@bp.post("/api-keys")
def create_api_key():  # type: ignore[no-untyped-def]
    body = parse_body(ApiKeyRequest)
    expires_at = body.expires_at.timestamp() if body.expires_at else None
    if expires_at is not None and expires_at <= appliance().clock.time():
        raise ApiError(400, "expires_at: must be in the future", field="expires_at")
    key, secret = appliance().accounts.keys.create(own_user().id, body.name.strip(), expires_at)
    response = jsonify(_key_json(key, secret))
    response.status_code = 201
    return response


@bp.get("/api-keys")
@admin_only
def list_api_keys():  # type: ignore[no-untyped-def]
    return jsonify([_key_json(key) for key in appliance().accounts.keys.all()])


@bp.delete("/api-keys/<int:key_id>")
def revoke_api_key(key_id: int):  # type: ignore[no-untyped-def]
    if not appliance().accounts.keys.revoke(key_id):
        raise ApiError(404, f"no API key with id {key_id}")
    return jsonify(success=True)


# -- two-factor (each user for themselves) ----------------------------------------------------------
@bp.get("/2fa")
def two_factor_status():  # type: ignore[no-untyped-def]
    user = own_user()
    return jsonify(
        enabled=user.totp_enabled,
        pending=bool(user.totp_secret) and not user.totp_enabled,
        recovery_codes_left=appliance().accounts.users.recovery_codes_left(user.id),
    )


@bp.post("/2fa/enroll")
@self_service
def two_factor_enroll():  # type: ignore[no-untyped-def]
    """Start enrolling; needs the password, so a stolen session cannot lock the owner out."""
    body = parse_body(PasswordBody)
    user = own_user()
    appliance().accounts.confirm_password(client_address(), user, body.password)
    enrollment = appliance().accounts.two_factor.enroll(user)
    return jsonify(secret=enrollment.secret, otpauth_uri=enrollment.otpauth_uri)


@bp.post("/2fa/confirm")
@self_service
def two_factor_confirm():  # type: ignore[no-untyped-def]
    body = parse_body(CodeBody)
    user = own_user()
    accounts = appliance().accounts
    accounts.throttle.check(client_address(), user.username)
    try:
        codes = accounts.two_factor.confirm(user, body.code)
    except TwoFactorError as exc:
        if exc.status == 400:
            accounts.throttle.failed(client_address(), user.username, "two-factor confirmation")
        raise
    return jsonify(enabled=True, recovery_codes=codes)


@bp.post("/2fa/disable")
@self_service
def two_factor_disable():  # type: ignore[no-untyped-def]
    body = parse_body(PasswordBody)
    user = own_user()
    appliance().accounts.confirm_password(client_address(), user, body.password)
    appliance().accounts.two_factor.disable(user)
    return jsonify(enabled=False)
