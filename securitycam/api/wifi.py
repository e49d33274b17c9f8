"""Wi-Fi presence endpoints (``appliance-extras.md`` §7): tracked Wi-Fi devices, the hotspot's
stations, who is connected, and every tracked device's presence (Bluetooth and Wi-Fi together).

Tracked Wi-Fi devices live in the presence monitor beside the Bluetooth ones
(:mod:`securitycam.bt.presence`), so either kind being home suppresses sensor alerts.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from flask import Blueprint, jsonify
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from securitycam.api.bluetooth import Body, track_device
from securitycam.api.common import ApiError, appliance, parse_body
from securitycam.bt import normalize_address
from securitycam.bt.presence import BLUETOOTH, WIFI
from securitycam.wifi import LIVE_STATES

bp = Blueprint("wifi", __name__)
# Seconds a reading of the hotspot's stations or the neighbour table serves every client (each one
# runs iw or ip): a client polling in a loop costs the Pi no more processes than one every few seconds.
READING_REUSE = 3.0


def _mac(value: str) -> str:
    try:
        return normalize_address(value)
    except ValueError as exc:
        raise PydanticCustomError(
            "mac_address", "a MAC address looks like AA:BB:CC:DD:EE:FF (six hex pairs separated by colons)"
        ) from exc


MacAddress = Annotated[str, AfterValidator(_mac)]


class AddWifiDevice(Body):
    address: MacAddress
    name: str | None = Field(None, min_length=1, max_length=64)


class RemoveWifiDevice(Body):
    address: MacAddress


@bp.get("/devices/wifi")
def tracked_devices():  # type: ignore[no-untyped-def]
    a = appliance()
    return jsonify(devices=a.presence.devices(WIFI), anyone_home=a.presence.anyone_home(),
                   presence_enabled=a.settings.get().Bluetooth.presence_enabled)


@bp.post("/devices/wifi/add")
def add_device():  # type: ignore[no-untyped-def]
    body = parse_body(AddWifiDevice)
    device, created = track_device(body.address, body.name, seen=False, kind=WIFI)
    return jsonify(success=True, device=device), 201 if created else 200


@bp.post("/devices/wifi/remove")
def remove_device():  # type: ignore[no-untyped-def]
    body = parse_body(RemoveWifiDevice)
    presence = appliance().presence
    if not presence.tracked(body.address, WIFI):
        raise ApiError(404, f"{body.address} is not a tracked Wi-Fi device", field="address")
    presence.untrack(body.address)
    return jsonify(success=True, address=body.address)


def _stations() -> dict:
    a = appliance()
    presence = a.presence
    listing = a.answers.get("wifi stations", presence.wifi.stations, READING_REUSE).as_dict()  # type: ignore[union-attr]
    for station in listing["stations"]:
        station["tracked"] = presence.tracked(station["address"], WIFI)
    return listing


@bp.get("/wifi/stations")
def stations():  # type: ignore[no-untyped-def]
    """The hotspot's stations; empty with a ``message`` when the Pi is no hotspot."""
    return jsonify(_stations())


@bp.get("/connections")
def connections():  # type: ignore[no-untyped-def]
    """Who is connected now: tracked Bluetooth devices in range, live LAN neighbours, hotspot stations."""
    a = appliance()
    presence = a.presence
    neighbours = a.answers.get("wifi neighbours", presence.wifi.neighbours, READING_REUSE)  # type: ignore[union-attr]
    wifi = [asdict(n) for n in neighbours if n.state in LIVE_STATES]
    for neighbour in wifi:
        neighbour["tracked"] = presence.tracked(neighbour["address"], WIFI)
    return jsonify(bluetooth=[d for d in presence.devices(BLUETOOTH) if d["present"]], wifi=wifi,
                   ap_clients=_stations()["stations"])


@bp.get("/devices/status")
def devices_status():  # type: ignore[no-untyped-def]
    """Every tracked device with ``present`` and ``last_seen``, by kind."""
    a = appliance()
    return jsonify(bt=a.presence.devices(BLUETOOTH), wifi=a.presence.devices(WIFI),
                   anyone_home=a.presence.anyone_home(),
                   presence_enabled=a.settings.get().Bluetooth.presence_enabled)
