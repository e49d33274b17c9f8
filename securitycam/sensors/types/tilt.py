"""A ball tilt switch (SW-520D): something moved that should stay put (a window, a safe, a bike)."""

from securitycam.sensors.base import BOUNCE_MS, SensorDriver, Wire


class TiltSwitch(SensorDriver):
    """Closed (LOW) when upright; the rolling balls open it, and it reads HIGH, when tilted."""

    type_name = "tilt"
    description = "Ball tilt switch (SW-520D): triggers when the object it is fixed to tilts"
    default_gpio = 6
    pull_up = True
    wiring = (
        Wire("Lead 1", "GPIO 6 (physical pin 31)"),
        Wire("Lead 2", "GND (physical pin 30)"),
    )
    # The balls rattle for a while after a knock.
    calibration = (BOUNCE_MS.with_default(100),)
