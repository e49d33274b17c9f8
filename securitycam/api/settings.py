"""``/settings``: read (admins only, as VibeNVR; secrets removed, credentials in URLs masked), partial
update, and one key at a time (VibeNVR style)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, jsonify

from securitycam.api.common import ApiError, admin_only, appliance, json_object
from securitycam.config.credentials import HiddenCredentials
from securitycam.config.store import SecretField, SettingRefused

bp = Blueprint("settings", __name__)


@bp.get("/settings")
@admin_only
def get_settings():  # type: ignore[no-untyped-def]
    return jsonify(appliance().settings.public())


def _saved(change: Callable[[], object]):  # type: ignore[no-untyped-def]
    """Apply a client's change and answer with the settings as clients see them."""
    try:
        change()
    except SecretField as exc:
        raise ApiError(400, f"{exc} cannot be set through the settings API", field=str(exc)) from exc
    except (HiddenCredentials, SettingRefused) as exc:
        raise ApiError(400, str(exc), field=exc.field) from exc
    return jsonify(success=True, settings=appliance().settings.public())


@bp.post("/settings")
def update_settings():  # type: ignore[no-untyped-def]
    patch = json_object()
    return _saved(lambda: appliance().settings.update(patch))


@bp.put("/settings/<key>")
def put_setting(key: str):  # type: ignore[no-untyped-def]
    body = json_object()
    if "value" not in body:
        raise ApiError(400, "value: field required", field="value")
    try:
        return _saved(lambda: appliance().settings.set_value(key, body["value"]))
    except KeyError as exc:
        raise ApiError(404, f"unknown setting {key!r}") from exc
