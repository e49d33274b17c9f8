"""A magnetic reed switch: the classic door or window contact (e.g. MC-38)."""

from securitycam.sensors.base import BOUNCE_MS, SensorDriver, Wire


class ReedSwitch(SensorDriver):
    """Closed while the magnet is near (door shut, pin pulled LOW); opens, and reads HIGH, with the door."""

    type_name = "reed_switch"
    description = "Magnetic door/window contact: triggers when the door opens"
    default_gpio = 22
    pull_up = True
    wiring = (
        Wire("Lead 1", "GPIO 22 (physical pin 15)"),
        Wire("Lead 2", "GND (physical pin 14)"),
    )
    calibration = (BOUNCE_MS.with_default(50),)
