"""A digital Hall-effect sensor (A3144, KY-003): a contactless magnet detector."""

from securitycam.sensors.base import BOUNCE_MS, SensorDriver, Wire


class HallDigital(SensorDriver):
    """Open-collector output: LOW with a magnet near, pulled HIGH when it moves away.

    Like a reed switch it triggers when the magnet leaves (the door opens); ``invert_logic``
    triggers when a magnet arrives instead.
    """

    type_name = "hall_digital"
    description = "Digital Hall-effect magnet sensor (A3144/KY-003): triggers when the magnet moves away"
    default_gpio = 13
    pull_up = True
    wiring = (
        Wire("VCC", "3.3V (physical pin 1)"),
        Wire("GND", "GND (physical pin 39)"),
        Wire("OUT", "GPIO 13 (physical pin 33)"),
    )
    calibration = (BOUNCE_MS.with_default(20),)
