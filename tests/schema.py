"""A database left by an older version of a component's schema, to test what its newer migration steps
do to the rows written before them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from securitycam.store import db as database
from securitycam.store.db import Database


def older_schema(path: Path, monkeypatch: pytest.MonkeyPatch, component: str,
                 steps: int) -> tuple[Database, Callable[[], int]]:
    """A database at ``path`` migrated with only ``component``'s first ``steps`` steps (a negative
    number: all but that many), and the call that applies the rest, returning the version then."""
    every_step = database._SCHEMAS[component]
    monkeypatch.setitem(database._SCHEMAS, component, every_step[:steps])
    db = Database(path)
    db.migrate()

    def upgrade() -> int:
        monkeypatch.setitem(database._SCHEMAS, component, every_step)
        return db.migrate()[component]

    return db, upgrade
