"""One module per sensor type; each defines a :class:`~securitycam.sensors.base.SensorDriver`
subclass, which registers itself. Drop a module here to add a type."""
