"""A vibration module (SW-420, SW-18010P): someone forcing a door or breaking a window."""

from securitycam.sensors.base import BOUNCE_MS, Calibration, SensorDriver, Wire
from securitycam.sensors.signal import PulseCounter


class Vibration(SensorDriver):
    """Its comparator output pulses HIGH with every shake. One knock is not a break-in: the sensor
    triggers when ``pulse_count`` pulses fall within ``pulse_window`` seconds, and releases once a
    whole window passes without a pulse.
    """

    type_name = "vibration"
    description = "Vibration module (SW-420): triggers on repeated shaking, not on a single knock"
    default_gpio = 27
    pull_up = False
    wiring = (
        Wire("VCC", "3.3V (physical pin 1)"),
        Wire("GND", "GND (physical pin 9)"),
        Wire("DO", "GPIO 27 (physical pin 13)"),
    )
    calibration = (
        Calibration("pulse_count", "Pulses to trigger", "int", 3, min=1, max=100, step=1),
        Calibration("pulse_window", "Pulse window", "float", 5.0, min=0.1, max=60, step=0.1, unit="s"),
        BOUNCE_MS.with_default(5),
    )

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.pulses = PulseCounter(self.settings["pulse_count"], self.settings["pulse_window"])

    def start(self, active: bool, now: float) -> bool:
        self.debouncer.reset(active, now)
        return bool(active and self.pulses.pulse(now))

    def feed(self, active: bool, now: float) -> bool | None:
        return self._count(self.debouncer.feed(active, now), now)

    def deadline(self) -> float | None:
        deadlines = [d for d in (self.debouncer.deadline, self.pulses.deadline) if d is not None]
        return min(deadlines, default=None)

    def expire(self, now: float) -> bool | None:
        triggered = self._count(self.debouncer.expire(now), now)
        return triggered if triggered is not None else self.pulses.expire(now)

    def _count(self, edge: bool | None, now: float) -> bool | None:
        return self.pulses.pulse(now) if edge else None
