"""Camera sources, keyed by type name (``synthetic``, ``rtsp``, ``file``, ``rpi_camera``).

Every module in this package is imported here, so a source registers itself just by existing.
"""

from __future__ import annotations

import importlib
import pkgutil

from securitycam.cameras.base import SOURCES, CameraSource, register_source

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["SOURCES", "CameraSource", "register_source", "source_for"]


def source_for(camera) -> CameraSource:  # type: ignore[no-untyped-def]
    """The source object for a :class:`~securitycam.config.models.CameraSettings`."""
    return SOURCES[camera.source](camera)
