"""A database from before the quarter-hour summaries: the migration makes the counted tables empty at
once and the backfill fills them a day at a time. Before, during (with writes on days already filled
and days not yet filled) and after the backfill, both summaries answer what counting the rows says."""

from __future__ import annotations

import random
import time

from securitycam.clock import ManualClock
from securitycam.store.db import _SCHEMAS, Backfiller, Database
from securitycam.store.events import SUMMARY_BACKFILL, EventStore
from securitycam.store.review import COUNTS_BACKFILL, ReviewQuery, ReviewStore
from tests.frigate.test_review_summary import counted_from_items
from tests.test_store import counted_from_events

DAY0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC
OFFSETS = (0.0, 3600.0, 5.5 * 3600, 5.75 * 3600, -3.5 * 3600, -5 * 3600)
LABELS = ("person", "car", "dog")


def check(db: Database, events: EventStore, reviews: ReviewStore) -> None:
    for offset in OFFSETS:
        assert list(events.summary(offset)) == counted_from_events(db, offset), offset
        for labels in (None, ["car"], ["person", "dog"]):
            for user in ("alice", "bob"):
                assert reviews.counts_per_day(ReviewQuery(user=user, labels=labels, limit=None), offset) == \
                    counted_from_items(reviews, user, offset, None, labels), (offset, labels, user)


def write_some(rng: random.Random, events: EventStore, reviews: ReviewStore) -> None:
    for _ in range(30):
        start = DAY0 + rng.randrange(12 * 96) * 900 + rng.choice([0.0, -0.25, rng.uniform(0, 900)])
        event = events.open(rng.choice(["front", "back"]), "sensor", rng.choice(LABELS), start_time=start)
        if rng.random() < 0.3:
            events.update(event.id, zones=["yard"], sub_label="alice")
        item = reviews.open(rng.choice(["front", "back"]), start, rng.choice(["alert", "detection"]),
                            data={"objects": rng.sample(LABELS, rng.randint(1, 2))})
        if rng.random() < 0.5:
            reviews.set_reviewed(rng.choice(["alice", "bob"]), [item.id])


def change_some(rng: random.Random, db: Database, events: EventStore, reviews: ReviewStore) -> None:
    ids = [row[0] for row in db.query("SELECT id FROM events")]
    for event_id in rng.sample(ids, 10):
        events.update(event_id, label=rng.choice(LABELS), has_clip=True)
    for event_id in rng.sample(ids, 5):
        events.delete(event_id)
    items = [row[0] for row in db.query("SELECT id FROM review_segments")]
    for item_id in rng.sample(items, 10):
        segment = reviews.get(item_id)
        assert segment is not None
        reviews.update(item_id, severity="alert", data={**segment.data, "objects": rng.sample(LABELS, 2)})
    reviews.set_reviewed("alice", rng.sample(items, 10), reviewed=False)
    reviews.set_reviewed("bob", rng.sample(items, 10))
    reviews.delete_many(rng.sample(items, 5))


def test_an_older_database_is_filled_in_the_background_and_answers_all_along(tmp_path, monkeypatch) -> None:
    steps = {component: _SCHEMAS[component] for component in ("events", "review")}
    for component, all_steps in steps.items():  # the version before the quarter hours
        monkeypatch.setitem(_SCHEMAS, component, all_steps[:4])
    db = Database(tmp_path / "old.db")
    db.migrate()
    events, reviews, rng = EventStore(db, ManualClock(DAY0 + 30 * 86400)), ReviewStore(db), random.Random(5)
    write_some(rng, events, reviews)
    for component, all_steps in steps.items():
        monkeypatch.setitem(_SCHEMAS, component, all_steps)
    versions = db.migrate()
    assert versions["events"] == 5 and versions["review"] == 5
    assert db.query_one("SELECT count(*) FROM event_summary")[0] == 0
    assert SUMMARY_BACKFILL.pending(db) and COUNTS_BACKFILL.pending(db)
    check(db, events, reviews)
    for _ in range(4):  # a few days filled, the rest not yet
        assert SUMMARY_BACKFILL.step(db) and COUNTS_BACKFILL.step(db)
    write_some(rng, events, reviews)
    change_some(rng, db, events, reviews)
    check(db, events, reviews)
    Backfiller(db, [SUMMARY_BACKFILL, COUNTS_BACKFILL]).run()
    assert not SUMMARY_BACKFILL.pending(db) and not COUNTS_BACKFILL.pending(db)
    assert db.query_one("SELECT count(*) FROM event_summary")[0] > 0
    check(db, events, reviews)
    change_some(rng, db, events, reviews)
    check(db, events, reviews)


def test_a_new_database_has_nothing_to_fill(tmp_path) -> None:
    db = Database(tmp_path / "new.db")
    db.migrate()
    assert not SUMMARY_BACKFILL.pending(db) and not COUNTS_BACKFILL.pending(db)
    events = EventStore(db, ManualClock(DAY0))
    events.open("front", "sensor", "pir", start_time=DAY0 + 100)
    assert list(events.summary(0.0)) == [(time.strftime("%Y-%m-%d", time.gmtime(DAY0)), "front", "pir", None, "[]", 1)]


def test_the_backfiller_runs_on_its_own_thread_until_done(tmp_path, monkeypatch) -> None:
    steps = {component: _SCHEMAS[component] for component in ("events", "review")}
    for component, all_steps in steps.items():
        monkeypatch.setitem(_SCHEMAS, component, all_steps[:4])
    db = Database(tmp_path / "old.db")
    db.migrate()
    events, reviews = EventStore(db, ManualClock(DAY0)), ReviewStore(db)
    write_some(random.Random(1), events, reviews)
    for component, all_steps in steps.items():
        monkeypatch.setitem(_SCHEMAS, component, all_steps)
    db.migrate()
    backfiller = Backfiller(db, [SUMMARY_BACKFILL, COUNTS_BACKFILL])
    backfiller.start()
    try:
        deadline = time.monotonic() + 30
        while (SUMMARY_BACKFILL.pending(db) or COUNTS_BACKFILL.pending(db)) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        backfiller.stop()
    assert not SUMMARY_BACKFILL.pending(db) and not COUNTS_BACKFILL.pending(db)
    check(db, events, reviews)
