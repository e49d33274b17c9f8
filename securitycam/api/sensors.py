"""Sensor endpoints: the spec's single-sensor ``/sensor/*`` (acting on the first sensor) and
``/sensors`` for several sensors, each bound to a camera.

Every change goes through the settings store (validated, saved atomically); the sensor manager
follows the settings, so a change made with ``POST /settings`` takes effect the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from securitycam.api.common import ApiError, appliance, parse_body
from securitycam.config.models import SENSOR_ID_PATTERN, SensorSettings, Settings
from securitycam.sensors import sensor_types
from securitycam.sensors.manager import SensorConfigError, SensorUnavailable, check_sensor

bp = Blueprint("sensors", __name__)

NO_SENSOR = {
    "enabled": False,
    "armed": False,
    "triggered": False,
    "suppressed": False,
    "recording_from_sensor": False,
    "simulated": False,
    "config": None,
}


class SensorChange(BaseModel):
    """The fields a client may set on a sensor; which are required depends on the endpoint."""

    model_config = ConfigDict(extra="forbid")

    type: str | None = None
    gpio: StrictInt | None = Field(None, ge=0, le=27)
    enabled: StrictBool | None = None
    hold_seconds: float | None = Field(None, ge=0, le=3600)
    invert_logic: StrictBool | None = None
    calibration: dict[str, Any] | None = None
    camera: str | None = Field(None, min_length=1, max_length=64)
    name: str | None = Field(None, max_length=64)
    ignore_presence: StrictBool | None = None


class SensorConfigure(SensorChange):
    """``POST /sensor/configure``: a whole sensor description, with the spec's defaults."""

    type: str
    enabled: StrictBool = True
    hold_seconds: float = Field(10, ge=0, le=3600)
    invert_logic: StrictBool = False
    calibration: dict[str, Any] = Field(default_factory=dict)


class SensorNew(SensorConfigure):
    id: str | None = Field(None, pattern=SENSOR_ID_PATTERN)


class PinTest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str
    gpio: StrictInt | None = Field(None, ge=0, le=27)


# A gpio of None below stands for the type's default pin, which check_sensor() fills in.


def _merged(current: SensorSettings, change: SensorChange) -> SensorSettings:
    """``current`` with the fields the client set; a new type starts from its own pin and calibration."""
    fields = change.model_dump(exclude_unset=True, exclude={"id"})
    if "type" in fields and fields["type"] != current.type:
        fields.setdefault("calibration", {})
        fields.setdefault("gpio", None)
    return SensorSettings.model_validate({**current.model_dump(), **fields})


def _described(base: SensorSettings, body: SensorConfigure) -> SensorSettings:
    """``base`` as the spec's whole-sensor ``body`` describes it; its id, camera and name stay unless given."""
    fields = {**body.model_dump(exclude_none=True, exclude={"id"}), "gpio": body.gpio}
    return SensorSettings.model_validate({**base.model_dump(), **fields})


def _save(sensor_id: str | None, build: Callable[[SensorSettings | None, Settings], SensorSettings]) -> str:
    """Replace (or append) one sensor, checked against the others under the settings lock; its id."""
    saved: list[str] = []

    def change(draft: Settings) -> None:
        index = next((i for i, s in enumerate(draft.Sensors) if s.id == sensor_id), None)
        if sensor_id is None and draft.Sensors:
            index = 0
        sensor = check_sensor(build(None if index is None else draft.Sensors[index], draft), draft.Sensors)
        sensors = list(draft.Sensors)
        if index is None:
            sensors.append(sensor)
        else:
            sensors[index] = sensor
        draft.Sensors = sensors
        saved.append(sensor.id)

    try:
        appliance().settings.modify(change)
    except SensorConfigError as exc:
        raise ApiError(400, str(exc), field=exc.field, **exc.extra) from exc
    return saved[0]


def _free_id(settings: Settings) -> str:
    taken = {sensor.id for sensor in settings.Sensors}
    return next(f"sensor{n}" for n in range(1, len(taken) + 2) if f"sensor{n}" not in taken)


def _status_or_404(sensor_id: str | None) -> dict[str, Any]:
    status = appliance().sensors.status(sensor_id)
    if status is None:
        raise ApiError(404, f"no sensor {sensor_id!r}" if sensor_id else "no sensor is configured")
    return status


# -- the spec's single-sensor endpoints ------------------------------------------------------------
@bp.post("/sensor/configure")
def configure():  # type: ignore[no-untyped-def]
    body = parse_body(SensorConfigure)

    def build(current: SensorSettings | None, settings: Settings) -> SensorSettings:
        return _described(current or SensorSettings(id=_free_id(settings)), body)

    sensor_id = _save(None, build)
    return jsonify(success=True, message="Sensor configured", sensor=_status_or_404(sensor_id))


@bp.get("/sensor/status")
def status():  # type: ignore[no-untyped-def]
    return jsonify(appliance().sensors.status() or NO_SENSOR)


def _set_enabled(sensor_id: str | None, enabled: bool) -> dict[str, Any]:
    current = _status_or_404(sensor_id)
    return _status_or_404(_save(current["id"], lambda sensor, _: sensor.model_copy(update={"enabled": enabled})))


@bp.post("/sensor/enable")
def enable():  # type: ignore[no-untyped-def]
    return jsonify(success=True, message="Sensor enabled", sensor=_set_enabled(None, True))


@bp.post("/sensor/disable")
def disable():  # type: ignore[no-untyped-def]
    return jsonify(success=True, message="Sensor disabled", sensor=_set_enabled(None, False))


@bp.get("/sensor/types")
def types():  # type: ignore[no-untyped-def]
    return jsonify(types=[driver.describe() for driver in sensor_types().values()])


@bp.post("/sensor/test")
def test_pin():  # type: ignore[no-untyped-def]
    body = parse_body(PinTest)
    driver = sensor_types().get(body.type)
    gpio = body.gpio if body.gpio is not None else (driver.default_gpio if driver else None)
    try:
        return jsonify(appliance().sensors.test_pin(body.type, gpio))  # type: ignore[arg-type]
    except SensorConfigError as exc:
        raise ApiError(400, str(exc), field=exc.field, **exc.extra) from exc
    except SensorUnavailable as exc:
        raise ApiError(409, str(exc)) from exc


def _mock(active: bool):  # type: ignore[no-untyped-def]
    try:
        state = appliance().sensors.mock(active)
    except SensorUnavailable as exc:
        raise ApiError(400, str(exc)) from exc
    return jsonify(success=True, message="Mock sensor triggered" if active else "Mock sensor released", sensor=state)


@bp.post("/sensor/mock/trigger")
def mock_trigger():  # type: ignore[no-untyped-def]
    return _mock(True)


@bp.post("/sensor/mock/release")
def mock_release():  # type: ignore[no-untyped-def]
    return _mock(False)


# -- several sensors -------------------------------------------------------------------------------
@bp.get("/sensors")
def list_sensors():  # type: ignore[no-untyped-def]
    return jsonify(sensors=appliance().sensors.statuses())


@bp.post("/sensors")
def add_sensor():  # type: ignore[no-untyped-def]
    body = parse_body(SensorNew)
    existing = {sensor.id for sensor in appliance().settings.get().Sensors}
    if body.id in existing:
        raise ApiError(409, f"a sensor with id {body.id!r} already exists", field="id")

    def build(current: SensorSettings | None, settings: Settings) -> SensorSettings:
        if current is not None:
            raise SensorConfigError("id", f"a sensor with id {body.id!r} already exists")
        return _described(SensorSettings(id=new_id), body)

    new_id = body.id or _free_id(appliance().settings.get())
    sensor_id = _save(new_id, build)
    response = jsonify(success=True, message="Sensor added", sensor=_status_or_404(sensor_id))
    response.status_code = 201
    return response


@bp.get("/sensors/<sensor_id>")
def get_sensor(sensor_id: str):  # type: ignore[no-untyped-def]
    return jsonify(_status_or_404(sensor_id))


@bp.patch("/sensors/<sensor_id>")
def change_sensor(sensor_id: str):  # type: ignore[no-untyped-def]
    _status_or_404(sensor_id)
    body = parse_body(SensorChange)
    _save(sensor_id, lambda current, _: _merged(current, body))  # type: ignore[arg-type]
    return jsonify(success=True, message="Sensor changed", sensor=_status_or_404(sensor_id))


@bp.delete("/sensors/<sensor_id>")
def remove_sensor(sensor_id: str):  # type: ignore[no-untyped-def]
    _status_or_404(sensor_id)

    def remove(draft: Settings) -> None:
        draft.Sensors = [sensor for sensor in draft.Sensors if sensor.id != sensor_id]

    appliance().settings.modify(remove)
    return jsonify(success=True, message=f"Sensor {sensor_id} removed")
