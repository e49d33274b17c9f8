"""A push button: a doorbell or a panic button that starts a recording."""

from gpiozero import Button as GpiozeroButton
from gpiozero import InputDevice

from securitycam.sensors.base import BOUNCE_MS, SensorDriver, Wire


class PushButton(SensorDriver):
    """A normally-open button to ground: pressing it pulls the pin LOW, which triggers."""

    type_name = "button"
    description = "Push button (doorbell, panic button): triggers while pressed"
    default_gpio = 26
    pull_up = True
    trigger_high = False
    wiring = (
        Wire("Leg 1", "GPIO 26 (physical pin 37)"),
        Wire("Leg 2", "GND (physical pin 39)"),
    )
    calibration = (BOUNCE_MS.with_default(50),)

    def make_device(self) -> InputDevice:
        return GpiozeroButton(self.gpio, pull_up=True, pin_factory=self.pin_factory)
