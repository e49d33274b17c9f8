"""The two summaries over a year of data (``/api/events/summary`` and the review summary per day) and the
migration that builds their counted tables, at 1,000,000 events and review items.

    python bench/summaries.py [--size 1000000] [--keep DIR] [--runs 3]
    python bench/summaries.py --migrate OLD.db [OLD_REVIEW.db ...]

The data are ``bench/events_query.py``'s and ``bench/review_query.py``'s (built once into ``--keep``,
reused from there: a million rows take minutes). The events summary goes through the view itself
(the Frigate events blueprint on a bare Flask app, the body read as a client reads it) in a fresh
process per line, which prints wall and CPU milliseconds, the rows and megabytes of the answer, and
the request's peak memory: the process's resident high-water mark (reset first through
``/proc/self/clear_refs``) above what it held before the request. The review summary per day is the
store's query (p50 of ``--runs``; its answer is a row per day).

``--migrate`` copies each database (made by an earlier version of the appliance; ``--in-place``: not a
copy) and times ``Database.migrate()`` on it, the step a Pi runs before it starts after an update, then
the backfill that the appliance runs in the background after that (see ``securitycam/store/db.py``).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

# Benchmark the checkout this script is in, whatever is installed.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

EVENTS_LINES = {
    "UTC+1": "timezone=Europe/Paris",
    "UTC+5:30 (India)": "timezone=Asia/Kolkata",
    "UTC-5, has_clip=1": "timezone=America/Bogota&has_clip=1",
}
REVIEW_LINES = {
    "all time, UTC+1": ({}, 3600.0),
    "all time, UTC+5:45": ({}, 5.75 * 3600),
    "camera, UTC-3:30": ({"cameras": ["front"]}, -3.5 * 3600),
    "camera+label, UTC+5:30": ({"cameras": ["front"], "labels": ["person"]}, 5.5 * 3600),
    "camera+2 labels, UTC+1": ({"cameras": ["front"], "labels": ["person", "car"]}, 3600.0),
    "3 labels, UTC+5:30": ({"labels": ["person", "car", "dog"]}, 5.5 * 3600),
}


def memory() -> dict[str, int]:
    """VmRSS and VmHWM (peak) of this process, in kB."""
    lines = Path("/proc/self/status").read_text().splitlines()
    return {line.split(":")[0]: int(line.split()[1]) for line in lines if line.startswith(("VmRSS", "VmHWM"))}


def events_request(db_path: Path, query: str) -> None:
    """One ``GET /api/events/summary?<query>`` through the view; prints its figures as JSON."""
    import events_query
    from flask import Flask

    from securitycam.api.frigate.events import bp
    from securitycam.clock import ManualClock
    from securitycam.store.db import Database
    from securitycam.store.events import EventStore

    db = Database(db_path)
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # as securitycam.app sets it
    app.extensions["securitycam"] = SimpleNamespace(events=EventStore(db, ManualClock(events_query.END)))
    app.register_blueprint(bp, url_prefix="/api")
    client = app.test_client()
    Path("/proc/self/clear_refs").write_text("5")  # the high-water mark starts again from here
    before = memory()
    begun, begun_cpu = time.perf_counter(), time.process_time()
    response = client.get(f"/api/events/summary?{query}", buffered=False)
    size = rows = 0
    for piece in response.iter_encoded():
        size += len(piece)
        rows += piece.count(b'"camera":')
    response.close()
    wall, cpu = time.perf_counter() - begun, time.process_time() - begun_cpu
    after = memory()
    print(json.dumps({"wall_ms": wall * 1000, "cpu_ms": cpu * 1000, "rows": rows, "mb": size / 1e6,
                      "peak_mb": (after["VmHWM"] - before["VmRSS"]) / 1024, "rss_before_mb": before["VmRSS"] / 1024}))


def build(path: Path, kind: str, size: int) -> Path:
    """The database at ``path`` (one an older version made is migrated and filled), built if missing."""
    from securitycam.store import events, review
    from securitycam.store.db import Backfiller, Database

    if path.exists():
        db = Database(path)
        db.migrate()
        Backfiller(db, [events.SUMMARY_BACKFILL, review.COUNTS_BACKFILL]).run()
        db.close()
        return path
    import events_query
    import review_query

    partial = path.with_suffix(".partial")
    db = Database(partial)
    db.migrate()
    begun = time.perf_counter()
    (events_query if kind == "events" else review_query).fill(db, size, random.Random(size))
    print(f"{size:,} {kind} written in {time.perf_counter() - begun:.0f} s", file=sys.stderr)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    partial.rename(path)
    return path


def migrate(paths: list[Path], in_place: bool) -> None:
    from securitycam.store import events, review
    from securitycam.store.db import Database

    for path in paths:
        with tempfile.TemporaryDirectory(dir=path.parent) as directory:
            copy = path if in_place else Path(directory) / path.name
            if not in_place:
                shutil.copy(path, copy)
            db = Database(copy)
            before = {row[0]: row[1] for row in db.query("SELECT component, version FROM schema_versions")}
            begun, begun_cpu = time.perf_counter(), time.process_time()
            after = db.migrate()
            wall, cpu = time.perf_counter() - begun, time.process_time() - begun_cpu
            changed = {name: f"{before.get(name, 0)}->{version}" for name, version in after.items()
                       if before.get(name, 0) != version}
            print(f"{path.name}: migrate() {wall:.1f} s wall, {cpu:.1f} s CPU ({changed}), "
                  f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
            for backfill in (events.SUMMARY_BACKFILL, review.COUNTS_BACKFILL):
                if not backfill.pending(db):
                    continue
                steps, longest = 0, 0.0
                begun, begun_cpu = time.perf_counter(), time.process_time()
                while True:
                    step_begun = time.perf_counter()
                    more = backfill.step(db)
                    steps, longest = steps + 1, max(longest, time.perf_counter() - step_begun)
                    if not more:
                        break
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(f"  backfill {backfill.name}: {time.perf_counter() - begun:.1f} s wall, "
                      f"{time.process_time() - begun_cpu:.1f} s CPU in {steps} days (transactions), the longest "
                      f"{longest * 1000:.0f} ms; peak RSS {peak:.0f} MB")
            db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="where the databases are kept between runs")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--migrate", type=Path, nargs="+")
    parser.add_argument("--in-place", action="store_true", help="migrate the databases themselves, not copies")
    parser.add_argument("--request", nargs=2, help=argparse.SUPPRESS)  # the child process's one request
    args = parser.parse_args()
    if args.request:
        events_request(Path(args.request[0]), args.request[1])
        return
    if args.migrate:
        migrate(args.migrate, args.in_place)
        return
    from securitycam.store.db import Database
    from securitycam.store.review import ReviewQuery, ReviewStore

    with tempfile.TemporaryDirectory() as scratch:
        keep = args.keep or Path(scratch)
        keep.mkdir(parents=True, exist_ok=True)
        events_db = build(keep / f"events-{args.size}.db", "events", args.size)
        review_db = build(keep / f"review-{args.size}.db", "review", args.size)
        print(f"/api/events/summary, {args.size:,} events{'':10}{'wall ms':>9}{'CPU ms':>9}{'rows':>9}{'MB':>7}"
              f"{'peak MB':>9}")
        for name, query in EVENTS_LINES.items():
            figures = []
            for _ in range(args.runs):
                child = subprocess.run([sys.executable, __file__, "--request", str(events_db), query],
                                       capture_output=True, text=True, check=True)
                figures.append(json.loads(child.stdout))
            best = min(figures, key=lambda figure: figure["cpu_ms"])
            print(f"{name:43}{statistics.median(f['wall_ms'] for f in figures):>9.0f}{best['cpu_ms']:>9.0f}"
                  f"{best['rows']:>9}{best['mb']:>7.1f}{max(f['peak_mb'] for f in figures):>9.1f}")
        store = ReviewStore(Database(review_db))
        print(f"review summary per day, {args.size:,} items{'':7}{'wall ms':>9}{'CPU ms':>9}{'days':>9}")
        for name, (filters, offset) in REVIEW_LINES.items():
            walls, cpus = [], []
            for _ in range(args.runs):
                begun, begun_cpu = time.perf_counter(), time.process_time()
                days = store.counts_per_day(ReviewQuery(user="alice", limit=None, **filters), offset)
                walls.append((time.perf_counter() - begun) * 1000)
                cpus.append((time.process_time() - begun_cpu) * 1000)
            print(f"{name:43}{statistics.median(walls):>9.0f}{min(cpus):>9.0f}{len(days):>9}")


if __name__ == "__main__":
    main()
