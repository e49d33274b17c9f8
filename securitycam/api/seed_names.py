"""The seed appliance's names for settings (``appliance-extras.md`` §6), beside ours.

``GET /settings`` and ``GET /settings/export`` add:

- ``Sensor``: the first of ``Sensors`` (the spec's settings file has a single sensor);
- ``TARGET_BT_ADDRESSES`` and ``TARGET_AP_MAC_ADDRESSES``: the tracked Bluetooth and Wi-Fi
  devices as ``{address, name}`` (they live in the presence monitor, not in the settings file);
- ``StreamWidth``, ``StreamHeight``, ``StreamFPS``, ``RotationAngle``, ``RotationMode`` and ``ISP``:
  the first camera's fields (:data:`securitycam.config.picture.SEED_CAMERA_KEYS`).

``POST /settings`` and ``POST /settings/import`` take them back: ``Sensor`` changes the first sensor
and the camera keys the first camera (both through the settings model itself, which reads them in a
settings file too). A client that edits ``Sensors`` or ``Cameras`` and posts the whole object it
read back must not be undone by the stale aliases beside them, so an alias (for ``Sensor`` and
``ISP``, each field of it) applies only where the client changed it from what ``GET`` shows now.
Where the same request also changed that setting under our name (``Sensors[0]``, ``Cameras[0]``),
ours wins: a hand-edited export restored on an appliance whose settings differ changes both, and
the edit was made to ours. The seed appliance's own clients post only the aliases, which then
apply (the settings model merges them over the first entry). A device list that differs from
the tracked devices of its kind becomes them: devices it leaves out are forgotten, new ones are
tracked (Bluetooth ones without pairing, as ``"pair": false`` does).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from securitycam.api.common import ApiError, appliance
from securitycam.api.wifi import MacAddress
from securitycam.bt.presence import BLUETOOTH, MAX_DEVICES, WIFI
from securitycam.config.picture import SEED_CAMERA_KEYS, seed_camera_keys

DEVICE_KEYS = {"TARGET_BT_ADDRESSES": BLUETOOTH, "TARGET_AP_MAC_ADDRESSES": WIFI}
SENSOR_KEY = "Sensor"


class SeedDevice(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    address: MacAddress
    name: str | None = Field(None, max_length=64)


_DEVICE_LIST = TypeAdapter(list[SeedDevice])


def tracked(kind: str) -> list[dict[str, Any]]:
    return [{"address": d["address"], "name": d["name"]} for d in appliance().presence.devices(kind)]


def _setting_aliases(data: dict[str, Any]) -> dict[str, Any]:
    """The seed's names for settings in ``data`` (the public settings): the first sensor and camera."""
    return {**seed_camera_keys(data), SENSOR_KEY: data["Sensors"][0] if data.get("Sensors") else None}


def with_seed_names(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (the public settings) with the seed's names added."""
    data.update(_setting_aliases(data))
    for key, kind in DEVICE_KEYS.items():
        data[key] = tracked(kind)
    return data


def _device_list(key: str, value: Any) -> list[SeedDevice]:
    try:
        devices = _DEVICE_LIST.validate_python(value)
    except ValidationError as exc:
        loc = exc.errors()[0]["loc"]
        field = ".".join(str(part) for part in (key, *loc))
        raise ApiError(400, f"{field}: {exc.errors()[0]['msg']}", field=field) from exc
    if len({d.address for d in devices}) != len(devices):
        raise ApiError(400, f"{key}: an address is listed twice", field=key)
    return devices


_ABSENT = object()


def _ours(patch: dict[str, Any], alias: str) -> Any:
    """What ``patch`` sends under our name for ``alias``: the first sensor, or a first camera's field."""
    entries = patch.get("Sensors" if alias == SENSOR_KEY else "Cameras")
    first = entries[0] if isinstance(entries, list) and entries else None
    if alias == SENSOR_KEY or not isinstance(first, dict):
        return first if isinstance(first, dict) else _ABSENT
    return first.get(SEED_CAMERA_KEYS[alias], _ABSENT)


def _applies(alias: Any, shown: Any, ours: Any) -> bool:
    """The client changed the alias from what ``GET`` shows, and not the same setting under our name
    (when it changed both, ours wins)."""
    return alias != shown and (ours is _ABSENT or ours == shown)


def _changed_alias(value: Any, shown: Any, ours: Any) -> Any:
    """What of an alias's ``value`` applies (an object field by field, as the settings model merges
    it), ``_ABSENT`` for nothing."""
    if isinstance(value, dict) and isinstance(shown, dict):
        ours = ours if isinstance(ours, dict) else {}
        value = {name: field for name, field in value.items()
                 if _applies(field, shown.get(name, _ABSENT), ours.get(name, _ABSENT))}
        return value or _ABSENT
    return value if _applies(value, shown, ours) else _ABSENT


def take_seed_names(patch: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[SeedDevice]]]:
    """``patch`` without the device lists (checked, returned by kind when they change anything) and
    with only what applies of the other aliases. Raises :class:`ApiError` (400, naming the field)
    for a bad list."""
    patch = dict(patch)
    for alias, shown in _setting_aliases(appliance().settings.public()).items():
        if alias in patch:
            changed = _changed_alias(patch.pop(alias), shown, _ours(patch, alias))
            if changed is not _ABSENT:
                patch[alias] = changed
    wanted: dict[str, list[SeedDevice]] = {}
    for key, kind in DEVICE_KEYS.items():
        if key in patch:
            devices = _device_list(key, patch.pop(key))
            if [d.model_dump() for d in devices] != tracked(kind):
                wanted[kind] = devices
    _check_devices(wanted)
    return patch, wanted


def _check_devices(wanted: dict[str, list[SeedDevice]]) -> None:
    """Refuse lists that would track too many devices, or one address as both kinds."""
    kinds = {kind: {d.address for d in devices} for kind, devices in wanted.items()}
    for kind in (BLUETOOTH, WIFI):
        kinds.setdefault(kind, {d["address"] for d in tracked(kind)})
    keys = {kind: key for key, kind in DEVICE_KEYS.items()}
    if len(kinds[BLUETOOTH]) + len(kinds[WIFI]) > MAX_DEVICES:
        raise ApiError(400, f"at most {MAX_DEVICES} devices can be tracked, Bluetooth and Wi-Fi together",
                       field=keys[next(iter(wanted))])
    both = kinds[BLUETOOTH] & kinds[WIFI]
    if both:
        raise ApiError(400, f"{', '.join(sorted(both))} cannot be tracked as both Bluetooth and Wi-Fi",
                       field=keys[next(iter(wanted))])


def apply_devices(wanted: dict[str, list[SeedDevice]]) -> None:
    """Make the tracked devices of each kind in ``wanted`` exactly those listed (checked beforehand)."""
    presence = appliance().presence
    for kind, devices in wanted.items():
        keep = {d.address for d in devices}
        for device in presence.devices(kind):
            if device["address"] not in keep:
                presence.untrack(device["address"])
    for kind, devices in wanted.items():
        for device in devices:
            presence.track(device.address, device.name, kind=kind)
