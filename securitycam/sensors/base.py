"""The sensor driver base class and the registry of sensor types.

A sensor type is one module in :mod:`securitycam.sensors.types` defining one subclass of
:class:`SensorDriver` with a ``type_name``; defining the class registers it, and the package
imports every module in that folder, so adding a type changes nothing else. For example, a
door contact needs only its metadata and the pull it wants::

    class ReedSwitch(SensorDriver):
        type_name = "reed_switch"
        description = "Magnetic door/window contact"
        default_gpio = 22
        pull_up = True
        calibration = (BOUNCE_MS.with_default(50),)

Drivers turn pin edges into a *conditioned* signal (debounced, pulse-counted) and nothing more:
the :class:`~securitycam.sensors.manager.SensorManager` decides what a trigger means (events,
hold timers, presence). Edges arrive on gpiozero's callback thread, which only timestamps them
and hands them to the manager's queue; :meth:`SensorDriver.feed` and
:meth:`SensorDriver.expire` then run on the manager's thread with times from the injected clock,
so the same logic is timed by a real clock on the Pi and a manual one in tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, ClassVar, Literal

from gpiozero import DigitalInputDevice, InputDevice
from gpiozero.pins import Factory

from securitycam.sensors.signal import Debouncer
from securitycam.sensors.simulated import SimulatedPins

Report = Callable[["SensorDriver", bool], None]
"""How a driver hands an edge to the manager: ``report(driver, active)``; must not block."""


@dataclass(frozen=True)
class Wire:
    """One row of a wiring table: the part's ``pin`` and where on the Pi's header it connects."""

    pin: str
    connect: str


@dataclass(frozen=True)
class Calibration:
    """One calibration parameter, described so that a dashboard can render it as a control."""

    key: str
    label: str
    type: Literal["int", "float", "bool"]
    default: float | int | bool
    min: float | None = None
    max: float | None = None
    step: float | None = None
    unit: str = ""

    def with_default(self, default: float | int | bool) -> Calibration:
        return replace(self, default=default)

    def check(self, value: Any) -> float | int | bool:
        """``value`` converted to this parameter's type, or ``ValueError`` saying why not."""
        if self.type == "bool":
            if not isinstance(value, bool):
                raise ValueError("must be true or false")
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be a number{' (whole)' if self.type == 'int' else ''}")
        if self.type == "int" and value != int(value):
            raise ValueError("must be a whole number")
        number = int(value) if self.type == "int" else float(value)
        if (self.min is not None and number < self.min) or (self.max is not None and number > self.max):
            raise ValueError(f"must be between {self.min:g} and {self.max:g}{' ' + self.unit if self.unit else ''}")
        return number


class CalibrationError(ValueError):
    """A calibration value that does not fit its type's schema; ``key`` names it."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


BOUNCE_MS = Calibration("bounce_ms", "Debounce time", "int", 50, min=0, max=1000, step=5, unit="ms")


class SensorDriver:
    """A sensor type: its metadata (class attributes) and, per instance, one armed sensor.

    Subclasses set the class attributes; most need nothing else. ``pull_up`` is the internal
    pull the part needs (``True`` for a switch to ground or an open-collector output, ``False``
    for a module that drives its output), ``trigger_high`` the raw level that means "triggered"
    before the user's ``invert_logic`` (a door contact opens, and reads HIGH, when the door does).
    """

    registry: ClassVar[dict[str, type[SensorDriver]]] = {}

    type_name: ClassVar[str]
    description: ClassVar[str]
    default_gpio: ClassVar[int | None]
    wiring: ClassVar[tuple[Wire, ...]] = ()
    calibration: ClassVar[tuple[Calibration, ...]] = ()
    pull_up: ClassVar[bool] = True
    trigger_high: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "type_name" in cls.__dict__:
            SensorDriver.registry[cls.type_name] = cls

    # -- metadata ---------------------------------------------------------------------------------
    @classmethod
    def describe(cls) -> dict[str, Any]:
        """What ``GET /sensor/types`` says about this type."""
        return {
            "name": cls.type_name,
            "description": cls.description,
            "default_gpio": cls.default_gpio,
            "uses_gpio": cls.default_gpio is not None,
            "pull_up": cls.pull_up,
            "wiring": [asdict(wire) for wire in cls.wiring],
            "calibration": [asdict(item) for item in cls.calibration],
        }

    @classmethod
    def check_calibration(cls, values: Mapping[str, Any]) -> dict[str, Any]:
        """The given calibration values, checked against the schema; :class:`CalibrationError` if one is not."""
        schema = {item.key: item for item in cls.calibration}
        checked = {}
        for key, value in values.items():
            if key not in schema:
                known = ", ".join(schema) or "none"
                raise CalibrationError(key, f"{cls.type_name} has no calibration {key!r} (known: {known})")
            try:
                checked[key] = schema[key].check(value)
            except ValueError as exc:
                raise CalibrationError(key, f"calibration.{key} {exc}") from exc
        return checked

    @classmethod
    def settings_with_defaults(cls, values: Mapping[str, Any]) -> dict[str, Any]:
        return {item.key: values.get(item.key, item.default) for item in cls.calibration}

    # -- one armed sensor -------------------------------------------------------------------------
    def __init__(
        self,
        gpio: int | None,
        calibration: Mapping[str, Any],
        invert_logic: bool,
        pin_factory: Factory | None,
        report: Report,
    ) -> None:
        self.gpio = gpio
        self.settings = self.settings_with_defaults(calibration)
        self.invert_logic = invert_logic
        self.pin_factory = pin_factory
        self._report = report
        self.device: InputDevice | None = None
        self.debouncer = Debouncer(self.settings.get("bounce_ms", 0) / 1000)

    def open(self) -> bool:
        """Claim the pin (gpiozero raises if it is taken or invalid); returns the first reading.

        On simulated pins (no GPIO header) the pin is first set to rest at :meth:`idle_level`.
        """
        if isinstance(self.pin_factory, SimulatedPins) and self.gpio is not None:
            self.pin_factory.rest(self.gpio, self.idle_level())
        device = self.make_device()
        device.when_activated = self._activated
        device.when_deactivated = self._deactivated
        self.device = device
        # The pin's own level: a smoothed device (the PIR) has no sample yet and would say
        # "inactive", which means triggered under invert_logic.
        return self.triggered_by(bool(device.pin.state))

    def make_device(self) -> InputDevice:
        """The gpiozero device for this part; pass ``pin_factory`` so tests' mock pins are used."""
        return DigitalInputDevice(self.gpio, pull_up=self.pull_up, pin_factory=self.pin_factory)

    def close(self) -> None:
        if self.device is not None:
            self.device.close()
            self.device = None

    def read_level(self) -> bool | None:
        """The raw pin level (``True`` = HIGH), read without disturbing the device."""
        return None if self.device is None else bool(self.device.pin.state)

    def idle_level(self) -> bool:
        """The raw level (``True`` = HIGH) the wired part holds when nothing happens: not triggered."""
        return self.trigger_high == self.invert_logic

    def active_for(self, device_active: bool) -> bool:
        """Whether a gpiozero ``is_active`` reading means "triggered" for this sensor."""
        # gpiozero calls a pulled-up input active when it reads LOW.
        return self.triggered_by(device_active != self.pull_up)

    def triggered_by(self, level_high: bool) -> bool:
        """Whether the raw pin level means "triggered" for this sensor (``invert_logic`` applied)."""
        return (level_high == self.trigger_high) != self.invert_logic

    # gpiozero's callback thread: timestamping and queueing only.
    def _activated(self) -> None:
        self._report(self, self.active_for(True))

    def _deactivated(self) -> None:
        self._report(self, self.active_for(False))

    # -- the manager's thread ---------------------------------------------------------------------
    def start(self, active: bool, now: float) -> bool:
        """Set the signal's first state from the reading :meth:`open` returned; returns it."""
        self.debouncer.reset(active, now)
        return active

    def feed(self, active: bool, now: float) -> bool | None:
        """An edge at ``now``: the conditioned signal's new state, or ``None`` if it did not change."""
        return self.debouncer.feed(active, now)

    def deadline(self) -> float | None:
        """When :meth:`expire` must next run (clock seconds), if ever."""
        return self.debouncer.deadline

    def expire(self, now: float) -> bool | None:
        """Timers due at ``now``: like :meth:`feed`, the signal's new state or ``None``."""
        return self.debouncer.expire(now)


def sensor_types() -> dict[str, type[SensorDriver]]:
    """Every registered type by name (importing :mod:`securitycam.sensors` loads them all)."""
    return dict(sorted(SensorDriver.registry.items()))
