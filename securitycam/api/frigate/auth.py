"""Frigate's login and user endpoints under ``/api`` (``frigate-api-reference.md``).

``POST /api/login {"user", "password"}`` answers with an empty body and the session in the
``frigate_token`` cookie, as Frigate does; a user with two-factor on adds ``totp_code``. Errors
carry Frigate's ``message`` (inside the project's ``{"success": false, "message"}``).
As in Frigate, a user may change their own password (viewers must give the old one); everything
else about users is for admins.
"""

from __future__ import annotations

from typing import Literal

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel, Field

from securitycam.api.accounts import NewPassword, Secret, change_own_password, password_changed, start_session
from securitycam.api.common import ApiError, admin_only, appliance, parse_body, public, self_service
from securitycam.api.guard import FRIGATE_COOKIES, clear_session_cookies, client_address, current_identity
from securitycam.auth.users import User, check_username

bp = Blueprint("frigate_auth", __name__, url_prefix="/api")

Role = Literal["admin", "viewer"]


class FrigateLogin(BaseModel):
    user: str = Field(min_length=1, max_length=64)
    password: Secret
    totp_code: str | None = Field(None, max_length=64)


class NewUser(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: NewPassword
    role: Role = "viewer"


class PasswordUpdate(BaseModel):
    password: NewPassword
    old_password: Secret | None = None


class RoleUpdate(BaseModel):
    role: Role


def _user_json(user: User) -> dict[str, str]:
    return {"username": user.username, "role": user.role}


@bp.post("/login")
@public
def login():  # type: ignore[no-untyped-def]
    body = parse_body(FrigateLogin)
    user = appliance().accounts.login(client_address(), body.user, body.password, body.totp_code)
    return start_session(user, lambda token: Response(status=200), FRIGATE_COOKIES)


@bp.post("/logout")  # POST only: a GET could be sent by any page the user visits (cross-site logout)
@public
def logout():  # type: ignore[no-untyped-def]
    response = jsonify(success=True)
    clear_session_cookies(response)
    return response


@bp.get("/profile")
def profile():  # type: ignore[no-untyped-def]
    identity = current_identity()
    return jsonify(username=identity.username, role=identity.role)


@bp.get("/auth")
def auth_check():  # type: ignore[no-untyped-def]
    """Frigate's proxy check: 202 with the user and role in headers."""
    identity = current_identity()
    response = Response(status=202)
    response.headers["remote-user"] = identity.username
    response.headers["remote-role"] = identity.role
    return response


@bp.get("/users")
@admin_only
def list_users():  # type: ignore[no-untyped-def]
    return jsonify([_user_json(user) for user in appliance().accounts.users.all()])


@bp.post("/users")
def create_user():  # type: ignore[no-untyped-def]
    body = parse_body(NewUser)
    user = appliance().accounts.users.create(check_username(body.username), body.password, body.role)
    response = jsonify(_user_json(user))
    response.status_code = 201
    return response


@bp.delete("/users/<username>")
def delete_user(username: str):  # type: ignore[no-untyped-def]
    appliance().accounts.users.delete(username)
    return jsonify(success=True)


@bp.put("/users/<username>/password")
@self_service
def set_user_password(username: str):  # type: ignore[no-untyped-def]
    body = parse_body(PasswordUpdate)
    identity = current_identity()
    users = appliance().accounts.users
    if identity.is_admin:
        return password_changed(users.set_password(username, body.password), {"success": True})
    if identity.user is None or identity.user.username.lower() != username.lower():
        raise ApiError(403, "a viewer may change only their own password")
    if body.old_password is None:
        raise ApiError(400, "old_password: required to change your own password", field="old_password")
    return change_own_password(body.old_password, body.password, {"success": True}, field="old_password")


@bp.put("/users/<username>/role")
def set_user_role(username: str):  # type: ignore[no-untyped-def]
    body = parse_body(RoleUpdate)
    return jsonify(_user_json(appliance().accounts.users.set_role(username, body.role)))
