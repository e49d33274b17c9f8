"""Review item figures (``GET /api/review``'s query, the summary, the event lookup): every filter and
camera + time range, at 100,000 and 1,000,000 review items.

    python bench/review_query.py [--sizes 100000,1000000] [--runs 40]

Builds a real database (the appliance's migrations, WAL) in a temporary directory holding a year
of review items over 4 cameras: 1-3 of 10 labels each, 30 % in zones (1-2 of 6; one more zone on only
300 items, another on 3000), 30 % alerts, 5-120 s long (one in a thousand an hour long), 10 still open at the end,
1-3 events each; the user ``alice`` has reviewed 60 % of them. Each query goes through
:meth:`ReviewStore.query` (the SQL ``/api/review`` runs, with ``alice``'s marks) with values drawn at
random per run, run ``--runs`` times.

Printed per query and size: p50 and p95 in milliseconds and the rows returned. Target (issue #12):
p95 under 50 ms at 1,000,000 items for every list query. Lines without a limit return every item of
their window (as Frigate's clients ask), so their rows, and time, grow with the items per day; the
``limit`` 100 lines show what the query itself costs.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# Benchmark the checkout this script is in, whatever is installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from securitycam.api.frigate.review import frigate_item
from securitycam.store.db import Database
from securitycam.store.events import new_event_id
from securitycam.store.review import ReviewQuery, ReviewStore

CAMERAS = ["front", "back", "garage", "porch"]
LABELS = ["person", "car", "dog", "cat", "bicycle", "motion", "bird", "package", "truck", "fox"]
ZONES = ["driveway", "door", "yard", "street", "gate", "lawn"]
YEAR = 365 * 24 * 3600
DAY = 86400
END = 1_780_000_000.0
START = END - YEAR
USER = "alice"


def fill(db: Database, count: int, rng: random.Random) -> list[str]:
    rows, marks, event_ids = [], [], []
    for number in range(count):
        start = START + YEAR * number / count + rng.random()
        length = 3600.0 if rng.random() < 0.001 else rng.uniform(5, 120)
        zones = rng.sample(ZONES, rng.randint(1, 2)) if rng.random() < 0.3 else []
        if number % (count // 300) == 0:
            zones.append("shed")
        if number % (count // 3000) == 1:
            zones.append("barn")
        events = [new_event_id(start + n) for n in range(rng.randint(1, 3))]
        event_ids.append(events[0])
        data = {"detections": events, "objects": rng.sample(LABELS, rng.randint(1, 3)), "sub_labels": [],
                "zones": zones, "audio": [], "sensors": []}
        review_id = new_event_id(start)
        rows.append((review_id, rng.choice(CAMERAS), start, None if number >= count - 10 else start + length,
                     "alert" if rng.random() < 0.3 else "detection",
                     f"/data/clips/review/thumb-{review_id}.webp", json.dumps(data)))
        if rng.random() < 0.6:
            marks.append((review_id, USER))
    with db.transaction() as tx:
        tx.executemany("INSERT INTO review_segments (id, camera, start_time, end_time, severity, thumb_path, data) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        tx.executemany("INSERT INTO review_status (review_id, username) VALUES (?, ?)", marks)
    db.execute("PRAGMA optimize")
    return event_ids


def window(rng: random.Random, days: float) -> dict[str, float]:
    after = rng.uniform(START, END - days * DAY)
    return {"after": after, "before": after + days * DAY}


def last_day(rng: random.Random) -> dict[str, float]:
    """The API's default window: the last 24 hours (here: of the data)."""
    return {"after": END - DAY, "before": END}


def everything(**fixed: object) -> Callable[[random.Random], ReviewQuery]:
    return lambda r: ReviewQuery(user=USER, limit=10_000, **fixed)  # type: ignore[arg-type]


# Each maker gets the run's random source; every window is drawn anew per run.
QUERIES: dict[str, Callable[[random.Random], ReviewQuery]] = {
    # As a Frigate client asks: a window, no limit (the API's ceiling, 10,000), so the answer holds
    # every item of the window: more items a day, more rows (see the rows column).
    "default: last 24 h, unreviewed": lambda r: ReviewQuery(user=USER, reviewed=False, limit=10_000, **last_day(r)),
    "last 24 h, reviewed=1": everything(after=END - DAY, before=END),
    "last 24 h, cameras=1": lambda r: ReviewQuery(user=USER, cameras=[r.choice(CAMERAS)], limit=10_000,
                                                  **last_day(r)),
    "last 24 h, labels=1": lambda r: ReviewQuery(user=USER, labels=[r.choice(LABELS)], limit=10_000, **last_day(r)),
    "last 24 h, zones=1": lambda r: ReviewQuery(user=USER, zones=[r.choice(ZONES)], limit=10_000, **last_day(r)),
    "last 24 h, severity=alert": everything(severity="alert", after=END - DAY, before=END),
    "camera+1 day (random)": lambda r: ReviewQuery(user=USER, cameras=[r.choice(CAMERAS)], limit=10_000,
                                                   **window(r, 1)),
    "camera+label+1 day": lambda r: ReviewQuery(user=USER, cameras=[r.choice(CAMERAS)], labels=[r.choice(LABELS)],
                                                limit=10_000, **window(r, 1)),
    "camera+label+zone+severity+7 days": lambda r: ReviewQuery(
        user=USER, cameras=[r.choice(CAMERAS)], labels=[r.choice(LABELS)], zones=[r.choice(ZONES)],
        severity="alert", limit=10_000, **window(r, 7)),
    # limit=100: what the query itself costs, whatever the density.
    "all time, limit 100": lambda r: ReviewQuery(user=USER, after=0.0),
    "all time, cameras=1": lambda r: ReviewQuery(user=USER, cameras=[r.choice(CAMERAS)], after=0.0),
    "all time, cameras=2": lambda r: ReviewQuery(user=USER, cameras=r.sample(CAMERAS, 2), after=0.0),
    "all time, labels=1": lambda r: ReviewQuery(user=USER, labels=[r.choice(LABELS)], after=0.0),
    "all time, labels=3": lambda r: ReviewQuery(user=USER, labels=r.sample(LABELS, 3), after=0.0),
    "all time, zones=1": lambda r: ReviewQuery(user=USER, zones=[r.choice(ZONES)], after=0.0),
    "all time, severity=alert": lambda r: ReviewQuery(user=USER, severity="alert", after=0.0),
    "all time, unreviewed": lambda r: ReviewQuery(user=USER, reviewed=False, after=0.0),
    "before (random)": lambda r: ReviewQuery(user=USER, before=r.uniform(START, END), after=0.0),
    "after+before (1 day)": lambda r: ReviewQuery(user=USER, **window(r, 1)),
    "after+before (7 days)": lambda r: ReviewQuery(user=USER, **window(r, 7)),
    "camera+1 day": lambda r: ReviewQuery(user=USER, cameras=[r.choice(CAMERAS)], **window(r, 1)),
    "camera+7 days": lambda r: ReviewQuery(user=USER, cameras=[r.choice(CAMERAS)], **window(r, 7)),
    "camera+30 days": lambda r: ReviewQuery(user=USER, cameras=[r.choice(CAMERAS)], **window(r, 30)),
    "2 cameras+2 labels+unreviewed+30 days": lambda r: ReviewQuery(
        user=USER, cameras=r.sample(CAMERAS, 2), labels=r.sample(LABELS, 2), reviewed=False, **window(r, 30)),
    "all time, limit 1000": lambda r: ReviewQuery(user=USER, after=0.0, limit=1000),
    # The worst cases: a filter that matches few or no items, over the whole year.
    "all time, rare zone (300 items)": lambda r: ReviewQuery(user=USER, zones=["shed"], after=0.0),
    "all time, rare zone (3000 items)": lambda r: ReviewQuery(user=USER, zones=["barn"], after=0.0),
    "all time, zone nobody has": lambda r: ReviewQuery(user=USER, zones=["nowhere"], after=0.0),
    "all time, camera+label nobody has": lambda r: ReviewQuery(user=USER, cameras=[r.choice(CAMERAS)],
                                                               labels=["unicorn"], after=0.0),
}


def api_answer(store: ReviewStore, rng: random.Random) -> list[dict]:
    """The rows of the last 24 hours in Frigate's shape, encoded as the API sends them."""
    answer = [frigate_item(item, seen) for item, seen in store.query(QUERIES["last 24 h, reviewed=1"](rng))]
    json.dumps(answer)
    return answer


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(call: Callable[[], object], runs: int) -> tuple[float, float, float]:
    """p50 and p95 in ms, and the rows (or entries) the call returned on average."""
    times, sizes = [], []
    for _ in range(runs):
        begun = time.perf_counter()
        answer = call()
        times.append((time.perf_counter() - begun) * 1000)
        sizes.append(len(answer) if isinstance(answer, (list, dict)) else 1)
    return (*percentiles(times), statistics.mean(sizes))


def run(size: int, runs: int) -> dict[str, tuple[float, float, float]]:
    rng = random.Random(size)
    with tempfile.TemporaryDirectory() as directory:
        db = Database(Path(directory) / "securitycam.db")
        db.migrate()
        begun = time.perf_counter()
        event_ids = fill(db, size, rng)
        print(f"  {size:,} items written in {time.perf_counter() - begun:.1f} s", file=sys.stderr)
        store = ReviewStore(db)
        figures = {}
        for name, make in QUERIES.items():
            figures[name] = measure(lambda make=make: store.query(make(rng)), runs)
        figures["API answer: last 24 h, as JSON"] = measure(lambda: api_answer(store, rng), runs)
        figures["summary: last 24 h"] = measure(
            lambda: store.counts(ReviewQuery(user=USER, after=END - DAY, limit=None)), runs)
        figures["summary: per day, all time"] = measure(
            lambda: store.counts_per_day(ReviewQuery(user=USER, limit=None), 3600.0), max(5, runs // 4))
        figures["summary: per day, camera"] = measure(
            lambda: store.counts_per_day(ReviewQuery(user=USER, cameras=[rng.choice(CAMERAS)], limit=None), 0.0),
            max(5, runs // 4))
        figures["summary: per day, camera+label"] = measure(
            lambda: store.counts_per_day(ReviewQuery(user=USER, cameras=[rng.choice(CAMERAS)],
                                                     labels=[rng.choice(LABELS)], limit=None), 3600.0),
            max(5, runs // 4))
        figures["summary: per day, camera+2 labels (counts)"] = measure(
            lambda: store.counts_per_day(ReviewQuery(user=USER, cameras=[rng.choice(CAMERAS)],
                                                     labels=rng.sample(LABELS, 2), limit=None), 3600.0),
            max(5, runs // 4))
        figures["review/event/<id>"] = measure(lambda: [store.for_event(rng.choice(event_ids))], runs)
        db.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    results = {size: run(size, args.runs) for size in sizes}
    header = "".join(f"{f'{size:,}: p50 / p95 ms, rows':>34}" for size in sizes)
    print(f"{'query':<44}{header}")
    for name in results[sizes[0]]:
        cells = "".join(f"{p50:>14.1f} / {p95:>7.1f}, {rows:>6.0f}"
                        for p50, p95, rows in (results[size][name] for size in sizes))
        print(f"{name:<44}{cells}")
    print(f"load average at the end: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")

if __name__ == "__main__":
    main()
