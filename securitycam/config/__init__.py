"""Settings: pydantic models (``models``) and the atomic, crash-safe file store (``store``)."""

from securitycam.config.models import Settings
from securitycam.config.store import SettingsStore

__all__ = ["Settings", "SettingsStore"]
