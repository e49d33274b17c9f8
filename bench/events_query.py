"""Event list figures (``GET /api/events``'s query): every filter and camera + label + time range,
at 100,000 and 1,000,000 events.

    python bench/events_query.py [--sizes 100000,1000000] [--runs 40]

Builds a real database (the appliance's migrations, WAL) in a temporary directory holding the
events of a year over 4 cameras and 10 labels: 8 % with a sub label (5 names, some joined as
``"a, b"``), 25 % in zones (6 zones, one more on only 500 events, another on 2000), scores 0.3-1.0, 97 % with
a clip, 1 % retained, 20 still in progress. Each query goes through :meth:`EventStore.list` (the
SQL the API runs, ``limit`` 100 as Frigate's default) with values drawn at random per run; each is
run ``--runs`` times.

Printed per query and size: p50 and p95 in milliseconds. Target (issue #12): p95 under 50 ms at
1,000,000 events for every line. Then ``/api/events/summary`` over the whole table: wall and CPU
milliseconds (CPU time says what the work costs when the machine is busy with other things) and the
rows it answers (one per day, camera, label, sub label and zones: bounded below by that).
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

from securitycam.clock import ManualClock
from securitycam.store.db import Database
from securitycam.store.events import EventQuery, EventStore, new_event_id, tag_values

CAMERAS = ["front", "back", "garage", "porch"]
LABELS = ["person", "car", "dog", "cat", "bicycle", "reed_switch", "pir", "manual", "api", "package"]
SUB_LABELS = ["alice", "bob", "carol", "dave", "erin"]
ZONES = ["driveway", "door", "yard", "street", "gate", "lawn"]
YEAR = 365 * 24 * 3600
END = 1_780_000_000.0
START = END - YEAR


def fill(db: Database, count: int, rng: random.Random) -> None:
    rows, tags = [], []
    for number in range(count):
        start = START + YEAR * number / count + rng.random()
        in_progress = number >= count - 20
        roll = rng.random()
        sub_label = None
        if roll < 0.08:
            sub_label = rng.choice(SUB_LABELS)
            if roll < 0.01:
                sub_label = f"{sub_label}, {rng.choice(SUB_LABELS)}"
        zones = rng.sample(ZONES, rng.randint(1, 2)) if rng.random() < 0.25 else []
        if number % (count // 500) == 0:
            zones.append("shed")
        if number % (count // 2000) == 1:
            zones.append("barn")
        has_clip = 0 if in_progress or rng.random() < 0.03 else 1
        event_id = new_event_id(start)
        tags.extend((event_id, kind, value, start) for kind, value in tag_values(zones, sub_label))
        rows.append((event_id, rng.choice(CAMERAS), rng.choice(LABELS), sub_label, "object",
                     round(rng.uniform(0.3, 1.0), 3), start, None if in_progress else start + rng.uniform(2, 60),
                     json.dumps(zones), has_clip, has_clip, int(rng.random() < 0.01)))
    with db.transaction() as tx:
        tx.executemany(
            "INSERT INTO events (id, camera, label, sub_label, source, top_score, start_time, end_time, zones, "
            "has_clip, has_snapshot, retain_indefinitely) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        tx.executemany("INSERT INTO event_tags (event_id, kind, value, start_time) VALUES (?, ?, ?, ?)", tags)
    db.execute("PRAGMA optimize")


def window(rng: random.Random, days: float) -> dict[str, float]:
    after = rng.uniform(START, END - days * 86400)
    return {"after": after, "before": after + days * 86400}


QUERIES: dict[str, Callable[[random.Random], EventQuery]] = {
    "newest 100 (no filter)": lambda r: EventQuery(),
    "cameras=1": lambda r: EventQuery(cameras=[r.choice(CAMERAS)]),
    "cameras=2": lambda r: EventQuery(cameras=r.sample(CAMERAS, 2)),
    "labels=1": lambda r: EventQuery(labels=[r.choice(LABELS)]),
    "labels=3": lambda r: EventQuery(labels=r.sample(LABELS, 3)),
    "sub_labels=1": lambda r: EventQuery(sub_labels=[r.choice(SUB_LABELS)]),
    "sub_labels=None": lambda r: EventQuery(sub_labels=["None"]),
    "zones=1": lambda r: EventQuery(zones=[r.choice(ZONES)]),
    "zones=None": lambda r: EventQuery(zones=["None"]),
    "after (last 30 days)": lambda r: EventQuery(after=END - 30 * 86400),
    "before (random)": lambda r: EventQuery(before=r.uniform(START, END)),
    "after+before (1 day)": lambda r: EventQuery(**window(r, 1)),
    "has_clip=1": lambda r: EventQuery(has_clip=True),
    "has_clip=0": lambda r: EventQuery(has_clip=False),
    "has_snapshot=0": lambda r: EventQuery(has_snapshot=False),
    "in_progress=1": lambda r: EventQuery(in_progress=True),
    "in_progress=0": lambda r: EventQuery(in_progress=False),
    "favorites=1": lambda r: EventQuery(retained=True),
    "min_score=0.9": lambda r: EventQuery(min_score=0.9),
    "max_score=0.4": lambda r: EventQuery(max_score=0.4),
    "min_length=50": lambda r: EventQuery(min_length=50),
    "time_range=22:00,06:00 tz": lambda r: EventQuery(time_range=("22:00", "06:00"), utc_offset=3600),
    "time_range=12:00,13:00": lambda r: EventQuery(time_range=("12:00", "13:00")),
    "sort=score_desc": lambda r: EventQuery(sort="score_desc"),
    "sort=date_asc": lambda r: EventQuery(sort="date_asc"),
    "limit=1000": lambda r: EventQuery(limit=1000),
    "camera+label": lambda r: EventQuery(cameras=[r.choice(CAMERAS)], labels=[r.choice(LABELS)]),
    "camera+label+1 day": lambda r: EventQuery(cameras=[r.choice(CAMERAS)], labels=[r.choice(LABELS)],
                                               **window(r, 1)),
    "camera+label+30 days": lambda r: EventQuery(cameras=[r.choice(CAMERAS)], labels=[r.choice(LABELS)],
                                                 **window(r, 30)),
    "2 cameras+3 labels+7 days": lambda r: EventQuery(cameras=r.sample(CAMERAS, 2), labels=r.sample(LABELS, 3),
                                                      **window(r, 7)),
    "camera+time (1 day)": lambda r: EventQuery(cameras=[r.choice(CAMERAS)], **window(r, 1)),
    "label+time (7 days)": lambda r: EventQuery(labels=[r.choice(LABELS)], **window(r, 7)),
    "camera+label+zone+score": lambda r: EventQuery(cameras=[r.choice(CAMERAS)], labels=[r.choice(LABELS)],
                                                    zones=[r.choice(ZONES)], min_score=0.5),
    "camera+sub_label+has_clip": lambda r: EventQuery(cameras=[r.choice(CAMERAS)], sub_labels=[r.choice(SUB_LABELS)],
                                                      has_clip=True),
    # Rare and unused zones and sub labels are looked up in event_tags instead of walking the events.
    "zones=<never used>": lambda r: EventQuery(zones=["attic"]),
    "zones=<used by 500>": lambda r: EventQuery(zones=["shed"]),
    "zones=<used by 2000>": lambda r: EventQuery(zones=["barn"]),
    "sub_labels=<never used>": lambda r: EventQuery(sub_labels=["mallory"]),
    "everything at once": lambda r: EventQuery(cameras=[r.choice(CAMERAS)], labels=[r.choice(LABELS)],
                                               zones=[r.choice(ZONES)], has_clip=True, in_progress=False,
                                               min_score=0.4, max_score=0.95, time_range=("06:00", "22:00"),
                                               **window(r, 60)),
}


# The whole table, per local day, as Frigate's clients ask for it (p50 of a few runs; wall and CPU).
SUMMARIES: dict[str, Callable[[EventStore], list]] = {
    "UTC+1": lambda store: store.summary(utc_offset=3600),
    "UTC-5, has_clip=1": lambda store: store.summary(utc_offset=-5 * 3600, has_clip=True),
    "UTC+5:30 (counts the events)": lambda store: store.summary(utc_offset=5.5 * 3600),
}


def measure(store: EventStore, runs: int, rng: random.Random) -> dict[str, tuple[float, float]]:
    figures = {}
    for name, build in QUERIES.items():
        times = []
        for _ in range(runs):
            query = build(rng)
            begun = time.perf_counter()
            store.list(query)
            times.append((time.perf_counter() - begun) * 1000)
        times.sort()
        figures[name] = (statistics.median(times), times[int(0.95 * (len(times) - 1))])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    results: dict[int, dict[str, tuple[float, float]]] = {}
    summaries: dict[str, dict[int, tuple[float, float, int]]] = {}
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(Path(tmp) / "bench.db")
            db.migrate()
            begun = time.perf_counter()
            fill(db, size, random.Random(size))
            print(f"{size:,} events written in {time.perf_counter() - begun:.1f} s", file=sys.stderr)
            store = EventStore(db, ManualClock(END))
            results[size] = measure(store, args.runs, random.Random(1))
            for name, call in SUMMARIES.items():
                times, cpu = [], []
                for _ in range(max(3, args.runs // 8)):
                    begun, begun_cpu = time.perf_counter(), time.process_time()
                    rows = len(call(store))
                    times.append((time.perf_counter() - begun) * 1000)
                    cpu.append((time.process_time() - begun_cpu) * 1000)
                summaries.setdefault(name, {})[size] = (statistics.median(times), statistics.median(cpu), rows)
            db.close()
    header = "".join(f"{f'{size:,}: p50 / p95 ms':>26}" for size in sizes)
    print(f"{'query (limit 100 unless said)':34}{header}")
    worst = {size: 0.0 for size in sizes}
    for name in QUERIES:
        cells = ""
        for size in sizes:
            p50, p95 = results[size][name]
            worst[size] = max(worst[size], p95)
            cells += f"{p50:>16.2f} / {p95:>7.2f}"
        print(f"{name:34}{cells}")
    print(f"{'worst p95':34}" + "".join(f"{worst[size]:>26.2f}" for size in sizes))
    print(f"{'/api/events/summary':34}" + "".join(f"{f'{size:,}: ms, CPU ms, rows':>32}" for size in sizes))
    for name, by_size in summaries.items():
        print(f"{name:34}" + "".join(f"{by_size[size][0]:>14.0f} {by_size[size][1]:>8.0f} {by_size[size][2]:>8}"
                                     for size in sizes))


if __name__ == "__main__":
    main()
