"""The review store's migration keeps what detection already wrote: items made before per-user marks,
tags and hourly counts existed are found by label, zone and event, and counted per day."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from securitycam.store import db as database
from securitycam.store.review import ReviewQuery, ReviewStore
from tests.schema import older_schema

T0 = 1_767_225_600.0


def test_items_written_before_the_migration_are_tagged_and_counted(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    db, upgrade = older_schema(tmp_path / "db.sqlite", monkeypatch, "review", 1)
    data = {"detections": ["ev-1"], "objects": ["person"], "sub_labels": [], "zones": ["yard"], "audio": [],
            "sensors": []}
    with db.transaction() as tx:
        tx.execute("INSERT INTO review_segments (id, camera, start_time, end_time, severity, thumb_path, data, "
                   "has_been_reviewed) VALUES ('r1', 'front', ?, ?, 'alert', '', ?, 1)",
                   (T0, T0 + 30, json.dumps(data)))
    assert upgrade() == len(database._SCHEMAS["review"])
    store = ReviewStore(db)
    assert store.for_event("ev-1").id == "r1"
    assert [s.id for s in store.list(labels=["person"], zones=["yard"], after=T0 - 10, before=T0 + 10)] == ["r1"]
    (day,) = store.counts_per_day(ReviewQuery(user="admin", limit=None), 0).values()
    assert (day.total_alert, day.reviewed_alert) == (1, 0)
    store.set_reviewed("admin", ["r1"])
    (day,) = store.counts_per_day(ReviewQuery(user="admin", limit=None), 0).values()
    assert day.reviewed_alert == 1
    db.close()


def test_label_counts_cover_items_and_marks_made_before_them(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    db, upgrade = older_schema(tmp_path / "db.sqlite", monkeypatch, "review", -1)
    store = ReviewStore(db)
    item = store.open("front", T0, "alert", data={"objects": ["person", "dog"], "audio": ["dog", "speech"]})
    store.open("back", T0 + 60, "detection", data={"objects": ["car"]})
    store.set_reviewed("admin", [item.id])
    upgrade()
    for label, alerts, reviewed in (("person", 1, 1), ("dog", 1, 1), ("speech", 1, 1), ("car", 0, 0)):
        (day,) = store.counts_per_day(ReviewQuery(user="admin", labels=[label], limit=None), 0).values()
        assert (day.total_alert, day.reviewed_alert, day.total_detection) == (alerts, reviewed, 1 - alerts), label
    db.close()
