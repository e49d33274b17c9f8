"""The review summary's per-day counts come from hourly counts (per label and label set too) kept by
triggers: after items are opened, relabelled, raised to alerts, marked, unmarked and deleted in any
order, they must equal counts made from the items themselves, for every user, label filter (one or
several) and time zone offset (whole hours, half and three quarters either side of UTC)."""

from __future__ import annotations

import random
import time
from collections import Counter

import pytest
from flask.testing import FlaskClient

from securitycam.appliance import Appliance
from securitycam.store.review import ReviewCounts, ReviewQuery, ReviewStore

T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC
USERS = ("admin", "bob", "carol")


LABELS = ("person", "car", "dog")


def counted_from_items(store: ReviewStore, user: str, offset: float, cameras: list[str] | None,
                       labels: list[str] | None = None) -> dict:
    counts: Counter = Counter()
    days = set()
    for segment, reviewed in store.query(ReviewQuery(user=user, cameras=cameras, labels=labels, limit=None)):
        day = time.strftime("%Y-%m-%d", time.gmtime(segment.start_time + offset))
        days.add(day)
        counts[(day, f"total_{segment.severity}")] += 1
        counts[(day, f"reviewed_{segment.severity}")] += reviewed
    return {day: ReviewCounts(*(counts[(day, name)] for name in ("reviewed_alert", "reviewed_detection",
                                                                   "total_alert", "total_detection")))
            for day in days}


@pytest.mark.parametrize("seed", range(3))
def test_hourly_counts_follow_every_change(appliance: Appliance, seed: int) -> None:
    store, rng = appliance.detection.reviews, random.Random(seed)
    ids: list[str] = []
    for _ in range(300):
        roll = rng.random()
        if roll < 0.4 or not ids:
            quarter = T0 + rng.randrange(10 * 96) * 900  # quarter hours exactly, just before, and between
            start = rng.choice([quarter, quarter - 0.25, quarter + rng.uniform(0, 900)])
            segment = store.open(rng.choice(["front", "back"]), start, "detection",
                                 data={"objects": rng.sample(LABELS, rng.randint(0, 2)),
                                       "audio": rng.sample(["dog", "speech"], rng.randint(0, 1))})
            ids.append(segment.id)
        elif roll < 0.5:
            store.update(rng.choice(ids), severity="alert")
        elif roll < 0.6:
            # What detection's saves do: new labels and, at times, a higher severity in one write.
            changed = store.get(rng.choice(ids))
            assert changed is not None
            changed.data["objects"] = rng.sample(LABELS, rng.randint(0, 3))
            store.update(changed.id, data=changed.data, severity=rng.choice(["alert", None]))
        elif roll < 0.8:
            store.set_reviewed(rng.choice(USERS), rng.sample(ids, min(len(ids), 3)))
        elif roll < 0.9:
            store.set_reviewed(rng.choice(USERS), rng.sample(ids, min(len(ids), 2)), reviewed=False)
        else:
            store.delete_many([ids.pop(rng.randrange(len(ids)))])
    for user in USERS:
        for offset in (0, 9 * 3600, -5 * 3600, 5.5 * 3600, 5.75 * 3600, -3.5 * 3600, 12.75 * 3600, -9.5 * 3600):
            for cameras in (None, ["front"]):
                for labels in (None, ["person"], ["dog"], ["person", "car"], ["dog", "car", "speech"]):
                    expected = counted_from_items(store, user, offset, cameras, labels)
                    query = ReviewQuery(user=user, cameras=cameras, labels=labels, limit=None)
                    assert store.counts_per_day(query, offset) == expected, (user, offset, cameras, labels)


def test_the_summary_is_the_same_in_a_half_hour_zone_and_with_a_label_filter(
        client: FlaskClient, appliance: Appliance) -> None:
    store = appliance.detection.reviews
    # 2026-01-01 18:45 UTC is 00:15 on 2 January in India (UTC+5:30).
    store.open("front", T0 + 18 * 3600 + 2700, "alert", data={"objects": ["person"]})
    store.open("front", T0 + 3600, "detection", data={"objects": ["car"]})
    india = client.get("/api/review/summary?timezone=Asia/Kolkata").json
    assert india["2026-01-02"]["total_alert"] == 1 and india["2026-01-01"]["total_detection"] == 1
    cars = client.get("/api/review/summary?labels=car").json
    assert set(cars) == {"last24Hours", "2026-01-01"} and cars["2026-01-01"]["total_detection"] == 1
