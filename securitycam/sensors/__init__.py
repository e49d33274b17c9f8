"""GPIO sensors: the driver registry, the sensor manager, the presence check.

Importing this package imports every module in :mod:`securitycam.sensors.types`, and each of
those registers its sensor type; :func:`sensor_types` lists them.
"""

from __future__ import annotations

import importlib
import pkgutil

from securitycam.sensors import types as _types
from securitycam.sensors.base import Calibration, SensorDriver, Wire, sensor_types

for _module in pkgutil.iter_modules(_types.__path__):
    importlib.import_module(f"{_types.__name__}.{_module.name}")

__all__ = ["Calibration", "SensorDriver", "Wire", "sensor_types"]
