"""Simulated GPIO pins: what the sensors read on a machine with no GPIO header (a laptop, CI).

gpiozero's :class:`~gpiozero.pins.mock.MockFactory` stands in for the pins. Its plain mock pin
jumps to the level of the pull a device asks for, which is the level of an *open* circuit: a
reed switch, wired to ground and pulled up, would read HIGH ("door open") the moment it is armed
and record until it is reconfigured. A :class:`SimulatedPin` instead rests at the level the part
holds when nothing happens: a shut door's contact and an upright tilt switch hold their line
LOW, a quiet PIR or vibration module drives it LOW, a released button leaves it pulled HIGH, and
``invert_logic`` swaps it (see :meth:`SensorDriver.idle_level
<securitycam.sensors.base.SensorDriver.idle_level>`). An armed sensor then stays quiet until
something drives its pin (``pins.pin(22).drive_high()``), as on a Pi with the part wired.
"""

from __future__ import annotations

from gpiozero.pins.mock import MockFactory, MockPin


class SimulatedPin(MockPin):
    """A mock pin that keeps its resting level, once given one, when a device sets its pull."""

    resting: bool | None = None

    def rest(self, level: bool) -> None:
        """Hold ``level`` (``True`` = HIGH) from now on; call it before a device claims the pin."""
        self.resting = level
        self._change_state(level)  # no edge callbacks: nothing watches a pin not yet claimed

    def _set_pull(self, value: str) -> None:
        super()._set_pull(value)
        if self.resting is not None:
            self._change_state(self.resting)


class SimulatedPins(MockFactory):  # type: ignore[misc]
    """The pin factory of a machine with no GPIO: every pin a :class:`SimulatedPin`."""

    def __init__(self) -> None:
        super().__init__(pin_class=SimulatedPin)

    def rest(self, gpio: int, level: bool) -> None:
        self.pin(gpio).rest(level)
