"""SQLite storage: one database in the data directory, migrated per component."""

from securitycam.store.db import Database, register_schema

__all__ = ["Database", "register_schema"]
