"""A passive infrared motion sensor (HC-SR501, AM312)."""

from gpiozero import InputDevice, MotionSensor

from securitycam.sensors.base import Calibration, SensorDriver, Wire


class Pir(SensorDriver):
    """HIGH while it sees motion. gpiozero's :class:`~gpiozero.MotionSensor` samples the pin
    ``sample_rate`` times a second and averages the last ``queue_len`` samples; motion counts when
    the average exceeds ``1 - sensitivity``, so a longer queue and a lower sensitivity ignore the
    short spikes a cheap PIR gives in sunlight or heat.
    """

    type_name = "pir"
    description = "PIR motion sensor (HC-SR501/AM312): triggers while motion is seen"
    default_gpio = 17
    pull_up = False
    wiring = (
        Wire("VCC", "5V (physical pin 2)"),
        Wire("OUT", "GPIO 17 (physical pin 11)"),
        Wire("GND", "GND (physical pin 6)"),
    )
    calibration = (
        Calibration("sensitivity", "Sensitivity", "float", 0.5, min=0.05, max=1.0, step=0.05),
        Calibration("queue_len", "Samples averaged", "int", 1, min=1, max=50, step=1),
        Calibration("sample_rate", "Sample rate", "int", 10, min=1, max=100, step=1, unit="Hz"),
    )

    def make_device(self) -> InputDevice:
        return MotionSensor(
            self.gpio,
            pull_up=False,
            queue_len=self.settings["queue_len"],
            sample_rate=self.settings["sample_rate"],
            threshold=round(1.0 - self.settings["sensitivity"], 3),
            # Never block opening (or /sensor/status) until the queue has filled.
            partial=True,
            pin_factory=self.pin_factory,
        )
