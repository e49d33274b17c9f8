"""``/settings``: read (admins only, as VibeNVR; secrets removed, credentials in URLs masked),
partial update, one key at a time (VibeNVR style), and a whole-settings export and import (a backup
as a JSON file).

Reads carry the seed appliance's names beside ours, and updates accept them back
(:mod:`securitycam.api.seed_names`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, jsonify, request
from pydantic import ValidationError

from securitycam.api.common import ApiError, admin_only, appliance, json_object
from securitycam.api.seed_names import apply_devices, take_seed_names, with_seed_names
from securitycam.config.credentials import HiddenCredentials
from securitycam.config.store import SecretField, SettingRefused

bp = Blueprint("settings", __name__)

# An export is a few KiB; a body this large is no settings file.
IMPORT_LIMIT = 256 * 1024


def client_settings() -> dict[str, Any]:
    """The settings as clients read them (``GET /settings``, the export)."""
    return with_seed_names(appliance().settings.public())


@bp.get("/settings")
@admin_only
def get_settings():  # type: ignore[no-untyped-def]
    return jsonify(client_settings())


def _saved(change: Callable[[], object], **extra: Any):  # type: ignore[no-untyped-def]
    """Apply a client's change and answer with the settings as clients see them."""
    try:
        change()
    except SecretField as exc:
        raise ApiError(400, f"{exc} cannot be set through the settings API", field=str(exc)) from exc
    except (HiddenCredentials, SettingRefused) as exc:
        raise ApiError(400, str(exc), field=exc.field) from exc
    except ValidationError as exc:
        unknown = next((e["loc"][0] for e in exc.errors() if e["type"] == "extra_forbidden" and len(e["loc"]) == 1),
                       None)
        if unknown is None:
            raise
        raise ApiError(400, f"Unknown setting {unknown!r}", field=str(unknown)) from exc
    return jsonify(success=True, **extra, settings=client_settings())


def _update(patch: dict[str, Any]) -> None:
    """Merge ``patch`` (our names or the seed's) into the settings: everything is checked first, then
    the tracked devices it lists change, then the settings are saved."""
    patch, devices = take_seed_names(patch)
    appliance().settings.update(patch, before_commit=lambda: apply_devices(devices))


@bp.post("/settings")
def update_settings():  # type: ignore[no-untyped-def]
    patch = json_object()
    return _saved(lambda: _update(patch))


@bp.put("/settings/<key>")
def put_setting(key: str):  # type: ignore[no-untyped-def]
    body = json_object()
    if "value" not in body:
        raise ApiError(400, "value: field required", field="value")
    try:
        return _saved(lambda: appliance().settings.set_value(key, body["value"]))
    except KeyError as exc:
        raise ApiError(404, f"unknown setting {key!r}") from exc


@bp.get("/settings/export")
@admin_only
def export_settings():  # type: ignore[no-untyped-def]
    """Every setting a client may read (no secrets, no write-only passwords), as a file to keep."""
    response = jsonify(client_settings())
    name = time.strftime("securitycam-settings-%Y%m%d-%H%M%S.json")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.post("/settings/import")
def import_settings():  # type: ignore[no-untyped-def]
    """An export (or part of one) merged into the settings: checked whole, then saved at once; the
    settings it does not mention keep their values, and secrets stay as they are."""
    if (request.content_length or 0) > IMPORT_LIMIT or len(request.get_data(cache=True)) > IMPORT_LIMIT:
        raise ApiError(413, f"a settings file is at most {IMPORT_LIMIT // 1024} KiB")
    patch = json_object()
    return _saved(lambda: _update(patch), imported=sorted(patch))
