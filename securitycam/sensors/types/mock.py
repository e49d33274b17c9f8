"""The mock sensor: no wiring, triggered and released through the API (``/sensor/mock/*``).

It is what a machine with no Pi hardware runs, and it lets an owner test the whole chain (event,
clip, notification) on a Pi before wiring anything. Its edges take the same path as a pin's.
"""

from securitycam.sensors.base import SensorDriver


class MockSensor(SensorDriver):
    type_name = "mock"
    description = "Software sensor for testing: trigger and release it with /sensor/mock/trigger and /release"
    default_gpio = None

    def open(self) -> bool:
        return False

    def read_level(self) -> bool | None:
        return None

    def set_active(self, active: bool) -> None:
        """Simulate an edge, as the pin's callback would."""
        self._report(self, active)
