"""Storage profiles (VibeNVR's ``/storage/profiles``, admins only): where a camera's clips, snapshots
and kept recordings go instead of the data directory (see :mod:`securitycam.storage.profiles`).

A camera chooses one with its ``storage_profile`` setting (``PUT /settings/Cameras`` or ``POST
/settings``); an id that does not exist is refused there.
"""

from __future__ import annotations

import math

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from securitycam.api.common import ApiError, admin_only, appliance, parse_body
from securitycam.storage.profiles import ProfileError, StorageProfiles

bp = Blueprint("profiles", __name__)


class ProfileChange(BaseModel):
    """A ``PUT``: any of the fields."""

    model_config = ConfigDict(extra="forbid", strict=True)
    name: str | None = Field(None, min_length=1, max_length=64)
    path: str | None = Field(None, min_length=1, max_length=4096)
    description: str | None = Field(None, max_length=1024)
    # GiB the profile's files may take (0: no limit of its own, only its disk's).
    max_size_gb: float | None = Field(None, ge=0, le=1_000_000)

    @field_validator("max_size_gb")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @field_validator("name", "path", "description", mode="after")
    @classmethod
    def _printable(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        if any(ord(char) < 32 for char in value):
            raise ValueError("must not hold control characters")
        if info.field_name == "name" and not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class NewProfile(ProfileChange):
    """A ``POST``: a name and a path at least."""

    name: str = Field(min_length=1, max_length=64)  # type: ignore[assignment]
    path: str = Field(min_length=1, max_length=4096)  # type: ignore[assignment]


def profiles() -> StorageProfiles:
    return appliance().profiles


def _answer(action, *args):  # type: ignore[no-untyped-def]
    try:
        return action(*args)
    except ProfileError as exc:
        raise ApiError(exc.status, str(exc), **({"field": exc.field} if exc.field else {})) from exc


@bp.get("/storage/profiles")
@admin_only
def list_profiles():  # type: ignore[no-untyped-def]
    """Every profile with its use, whether it is available now (and why not), and its cameras."""
    store = profiles()
    return jsonify([store.describe(profile) for profile in store.list()])


@bp.post("/storage/profiles")
def create_profile():  # type: ignore[no-untyped-def]
    body = parse_body(NewProfile)
    profile = _answer(profiles().create, body.name, body.path, body.description or "", body.max_size_gb or 0.0)
    response = jsonify(profiles().describe(profile))
    response.status_code = 201
    return response


@bp.put("/storage/profiles/<int:profile_id>")
def update_profile(profile_id: int):  # type: ignore[no-untyped-def]
    body = parse_body(ProfileChange)
    changes = body.model_dump(exclude_unset=True)
    if any(value is None for value in changes.values()):
        field = next(key for key, value in changes.items() if value is None)
        raise ApiError(400, f"{field}: must not be null", field=field)
    profile = _answer(profiles().update, profile_id, changes)
    return jsonify(profiles().describe(profile))


@bp.delete("/storage/profiles/<int:profile_id>")
def delete_profile(profile_id: int):  # type: ignore[no-untyped-def]
    """Delete a profile: its cameras go back to the data directory; its files stay on its disk."""
    profile, cameras, left = _answer(profiles().delete, profile_id)
    return jsonify(success=True, id=profile.id, cameras_reverted=cameras, files_left=left,
                   message=f"storage profile {profile.name!r} deleted; {left} files stay in {profile.recordings}")
