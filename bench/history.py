"""History figures: what the journal costs a publisher, and what reading it costs at its largest.

    python bench/history.py [--rows 50000] [--runs 20]

Builds a real database (the appliance's migrations, WAL) in a temporary directory and a
:class:`~securitycam.history.History` on a real event bus, its writer thread running. Prints:

- ``publish``: microseconds per ``bus.publish`` of a watched event (``sensor_state``) with the
  history listening, against a bus nobody listens to (what a sensor trigger pays);
- ``journal``: events a second the writer thread keeps up with (publish 10,000, wait for the flush);
- ``events`` and ``csv``: p50 / p95 milliseconds of the service calls behind ``/event_history``
  (the newest ``MAX_LISTED``) and ``/event_history/csv`` (all) for every hour kept, with ``--rows``
  events in the table (the bound is 50,000).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

# Benchmark the checkout this script is in, whatever is installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from securitycam import history
from securitycam.bus import SENSOR_STATE, EventBus
from securitycam.clock import Clock
from securitycam.history import History
from securitycam.store.db import Database

FIGURES = {"cpu_temp_celsius": 50.0, "cpu_load_percent": 10.0, "ram_usage_mb": {"percent": 30.0, "used_mb": 150},
           "storage_info_gb": {"percent": 40.0}}


def per_call_us(action, count: int = 20000) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for number in range(count):
        action(number)
    return (time.perf_counter() - started) / count * 1e6


def timings(action, runs: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=history.MAX_EVENTS)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "bench.db")
        db.migrate()
        bus, quiet = EventBus(), EventBus()
        clock = Clock()
        journal = History(db, bus, clock, lambda: FIGURES)
        journal.start()

        def state(number: int) -> dict:
            return {"id": "door", "triggered": number % 2 == 0, "config": {"type": "reed_switch"}}

        bare = per_call_us(lambda n: quiet.publish(SENSOR_STATE, state(n)))
        listened = per_call_us(lambda n: bus.publish(SENSOR_STATE, state(n)), count=history.QUEUE_LIMIT - 10)
        print(f"publish: {bare:.1f} us without the history, {listened:.1f} us with it")
        journal.flush(timeout=60)

        count = 10000
        started = time.perf_counter()
        for number in range(count):
            bus.publish(SENSOR_STATE, state(number))
            if number % 500 == 499:
                journal.flush(timeout=60)
        journal.flush(timeout=60)
        print(f"journal: {count / (time.perf_counter() - started):,.0f} events/s written")

        now = clock.time()
        span = history.EVENT_HOURS * 3600
        journal.record([(now - span + span * i / args.rows, "sensor_triggered", "warn", f"door, row {i}")
                        for i in range(args.rows)])
        journal.take_sample()  # prunes to the bound
        (kept,) = db.query_one("SELECT count(*) FROM history_events")
        for name, action in (("events", lambda: journal.events(history.EVENT_HOURS)),
                             ("csv", lambda: journal.events_csv(history.EVENT_HOURS))):
            p50, p95 = timings(action, args.runs)
            print(f"{name}: {kept} rows, p50 {p50:.0f} ms, p95 {p95:.0f} ms")
        journal.stop()
        db.close()


if __name__ == "__main__":
    main()
