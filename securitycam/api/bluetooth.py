"""Bluetooth endpoints: scan, pairing window, tracked devices (``appliance-api.md``, Bluetooth).

The spec's summary table names them ``/bluetooth/scan|pair|discoverable``; they answer there too.
With no usable adapter they answer 503 at once, naming the reason; while the adapter is busy with
another scan or pairing window, 409.
"""

from __future__ import annotations

from typing import Annotated

from flask import Blueprint, jsonify
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool
from pydantic_core import PydanticCustomError

from securitycam.api.common import ApiError, appliance, error_response, parse_body
from securitycam.bt import AdapterBusy, AdapterUnavailable, PairingFailed, normalize_address
from securitycam.bt.pairing_log import pairing_log
from securitycam.bt.presence import BLUETOOTH, TooManyDevices, TrackedAsOtherKind

bp = Blueprint("bluetooth", __name__)


def _address(value: str) -> str:
    try:
        return normalize_address(value)
    except ValueError as exc:
        # A custom error keeps pydantic's "Value error, " prefix out of the message a user reads.
        raise PydanticCustomError("bluetooth_address", str(exc)) from exc


Address = Annotated[str, AfterValidator(_address)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ScanRequest(Body):
    duration: float | None = Field(None, gt=0, le=60)


class DiscoverableRequest(Body):
    timeout: float = Field(90, gt=0, le=300)


class AddDevice(Body):
    address: Address
    name: str | None = Field(None, min_length=1, max_length=64)
    # False tracks a BLE tag or beacon by its address without pairing.
    pair: StrictBool = True


class RemoveDevice(Body):
    address: Address


@bp.errorhandler(AdapterUnavailable)
def _unavailable(exc: AdapterUnavailable):  # type: ignore[no-untyped-def]
    return error_response(503, str(exc))


@bp.errorhandler(AdapterBusy)
def _busy(exc: AdapterBusy):  # type: ignore[no-untyped-def]
    return error_response(409, str(exc))


@bp.post("/bt/scan")
@bp.post("/bluetooth/scan")
def scan():  # type: ignore[no-untyped-def]
    body = parse_body(ScanRequest, optional=True)
    a = appliance()
    duration = body.duration or a.settings.get().Bluetooth.scan_seconds
    sightings = a.bluetooth.scan(duration)
    devices = [{**s.as_dict(), "tracked": a.presence.tracked(s.address)} for s in sightings]
    return jsonify(devices=devices, duration=duration)


@bp.post("/bt/discoverable")
@bp.post("/bluetooth/discoverable")
def discoverable():  # type: ignore[no-untyped-def]
    body = parse_body(DiscoverableRequest, optional=True)
    a = appliance()
    with pairing_log(
        a.paths.logs, a.bluetooth, a.clock, f"POST /bt/discoverable (timeout {body.timeout:g} s)"
    ) as transcript:
        paired = a.bluetooth.wait_for_pairing(body.timeout)
        if paired is None:
            raise ApiError(408, f"no device paired within {body.timeout:g} s")
        address, name = paired
        device, _ = track_device(address, name, seen=True)
        transcript.append(f"paired {address} ({name or 'no name'}): tracked for presence")
    return jsonify(success=True, device=device)


@bp.get("/devices/bt")
def tracked_devices():  # type: ignore[no-untyped-def]
    a = appliance()
    return jsonify(
        devices=a.presence.devices(BLUETOOTH),
        anyone_home=a.presence.anyone_home(),
        presence_enabled=a.settings.get().Bluetooth.presence_enabled,
    )


@bp.post("/devices/bt/add")
@bp.post("/bluetooth/pair")
def add_device():  # type: ignore[no-untyped-def]
    body = parse_body(AddDevice)
    a = appliance()
    if not body.pair:
        device, created = track_device(body.address, body.name, seen=False)
        return jsonify(success=True, device=device), 201 if created else 200
    with pairing_log(a.paths.logs, a.bluetooth, a.clock, f"POST /devices/bt/add {body.address}") as transcript:
        try:
            a.bluetooth.pair(body.address)
        except PairingFailed as exc:
            raise ApiError(
                409,
                f"could not pair with {body.address}: {exc}. Make the device discoverable and near the camera, "
                'or send "pair": false to track a BLE tag by its address',
                field="address",
            ) from exc
        device, created = track_device(body.address, body.name or a.bluetooth.name_of(body.address), seen=True)
        transcript.append(f"paired {body.address} ({device['name'] or 'no name'}): tracked for presence")
    return jsonify(success=True, device=device), 201 if created else 200


@bp.post("/devices/bt/remove")
def remove_device():  # type: ignore[no-untyped-def]
    body = parse_body(RemoveDevice)
    a = appliance()
    if not a.presence.tracked(body.address):
        raise ApiError(404, f"{body.address} is not a tracked device", field="address")
    # Unpairing needs the adapter; forgetting the device must work even when the adapter is gone.
    try:
        unpaired = a.bluetooth.unpair(body.address)
    except AdapterUnavailable:
        unpaired = False
    a.presence.untrack(body.address)
    return jsonify(success=True, address=body.address, unpaired=unpaired)


def track_device(address: str, name: str | None, seen: bool, kind: str = BLUETOOTH) -> tuple[dict, bool]:
    try:
        return appliance().presence.track(address, name, seen=seen, kind=kind)
    except (TooManyDevices, TrackedAsOtherKind) as exc:
        raise ApiError(409, str(exc), field="address") from exc
