"""Storage janitor figures: bringing 100,000 indexed clips under the limit, and a pass with room.

    python bench/janitor.py [--clips 100000] [--over 20] [--events 100000]

Builds the real appliance (cameras idle) in a temporary data directory holding ``--clips`` real
0-byte ``output_*.mp4`` files, indexed in the media table as 2 MB clips (1 % of them belong to
events, a tenth of those retained). The disk seam reports ``used`` as the bytes the index still
holds, so the card is ``--over`` % of the clips over the 85 % limit. Deleting really unlinks each
clip and tries its three sidecars (absent here, so each costs a failed unlink).

Printed: the first pass after a start (reconcile scan of the directory, age check), a pass with
room (one disk-usage call; the fake's own SUM query is shown apart), deleting down to the limit
(the fake's time shown apart), a reconcile with nothing new (and its peak Python memory), and the
one-time backfill of every clip (the first start after an upgrade), and deleting the rows of
``--events`` ended events with no file left (sensor events with the camera off) once past the retention.
Target (issue #5): deleting down to the limit and a pass with room both under one second.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

# Benchmark the checkout this script is in, whatever is installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from securitycam.appliance import Appliance, Hardware
from securitycam.storage.media import CLIPS
from securitycam.system.host import DiskUsage, HostReader
from securitycam.system.runner import RecordingRunner

CLIP_BYTES = 2 * 1024 * 1024
START = time.mktime((2023, 1, 1, 0, 0, 0, 0, 0, -1))


class IndexDisk:
    """A filesystem whose used bytes are what the media index still holds (the files are 0-byte)."""

    def __init__(self) -> None:
        self.appliance: Appliance | None = None
        self.total = 1
        self.calls = 0
        self.seconds = 0.0

    def __call__(self, path: Path) -> DiskUsage:
        begun = time.perf_counter()
        self.calls += 1
        assert self.appliance is not None
        row = self.appliance.db.query_one("SELECT coalesce(sum(size), 0) AS used FROM media")
        used = int(row["used"])
        self.seconds += time.perf_counter() - begun
        return DiskUsage(self.total, used, self.total - used)


def timed(action):  # type: ignore[no-untyped-def]
    begun = time.perf_counter()
    result = action()
    return result, time.perf_counter() - begun


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=100_000)
    parser.add_argument("--over", type=float, default=20.0, help="percent of the clips that must go")
    parser.add_argument("--events", type=int, default=100_000, help="events with no file, past the retention")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    with tempfile.TemporaryDirectory(prefix="janitor-bench-") as tmp:
        root = Path(tmp)
        (root / "sys").mkdir()
        disk = IndexDisk()
        hardware = Hardware(runner=RecordingRunner(), host=HostReader(root / "sys", disk_usage=disk),
                            run_cameras=False)
        os.environ.setdefault("SECURITYCAM_PASSWORD", "bench password")
        appliance = Appliance.build(root / "data", hardware)
        disk.appliance = appliance
        recordings = appliance.paths.recordings
        media, events = appliance.janitor.media, appliance.events

        rows = []
        for number in range(args.clips):
            moment = START + number * 60
            path = recordings / f"output_{time.strftime('%Y%m%d_%H%M%S', time.localtime(moment))}.mp4"
            path.touch()
            rows.append((CLIPS, str(path), CLIP_BYTES, moment, None))
        for number in range(0, args.clips, 100):  # 1 % of clips belong to events, a tenth of those retained
            event = events.open("cam", "sensor", "door", start_time=rows[number][3])
            events.end(event.id)
            events.update(event.id, has_clip=True, retain_indefinitely=number % 1000 == 0,
                          data={"clips": [rows[number][1]]})
            rows[number] = (*rows[number][:4], event.id)
        media.add_many(rows)
        limit_total = int(args.clips * (1 - args.over / 100) * CLIP_BYTES / 0.85)
        disk.total = limit_total * 2
        _, first_pass = timed(appliance.janitor.run)
        print(f"{args.clips} clips indexed; first pass at start (reconcile scan of the directory, age check, "
              f"space check): {first_pass * 1000:.0f} ms")

        calls, fake_time = disk.calls, disk.seconds
        report, idle = timed(appliance.janitor.run)
        print(f"a pass with room: {(idle - (disk.seconds - fake_time)) * 1000:.3f} ms plus "
              f"{disk.calls - calls} disk-usage call ({(disk.seconds - fake_time) * 1000:.1f} ms in this fake, "
              f"a statvfs on a Pi), {report.deleted_count} deleted")

        # The limit (85 %) is reached once --over % of the clips are gone.
        disk.total = limit_total
        print(f"now {disk(recordings).percent} % used, limit 85 %")
        fake_time = disk.seconds
        report, space = timed(appliance.janitor.run)
        deleted = report.deleted[CLIPS]
        left = sum(1 for _ in os.scandir(recordings))
        print(f"bringing it under the limit: {(space - (disk.seconds - fake_time)) * 1000:.0f} ms "
              f"(+{(disk.seconds - fake_time) * 1000:.0f} ms in the fake disk) for {deleted} clips "
              f"({space / max(1, deleted) * 1e6:.0f} µs a clip); {left} files left, "
              f"{report.usage_after.percent} % used")

        segments = {row["path"] for row in appliance.db.query("SELECT path FROM recorder_segments")}
        _, rescan = timed(lambda: media.reconcile(segments))
        tracemalloc.start()
        media.reconcile(segments)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"reconcile with nothing new ({left} files): {rescan * 1000:.0f} ms, "
              f"peak Python memory {peak / 2**20:.1f} MiB")

        with appliance.db.transaction() as tx:
            tx.execute("DELETE FROM media")
        done, backfill = timed(lambda: media.reconcile(segments))
        print(f"backfill of {done.indexed} unindexed clips (first start after an upgrade): "
              f"{backfill * 1000:.0f} ms")

        with appliance.db.transaction() as tx:
            tx.executemany("INSERT INTO events (id, camera, label, source, start_time, end_time) "
                           "VALUES (?, 'cam', 'door', 'sensor', ?, ?)",
                           [(f"{START + n:.6f}-{n:06d}", START + n, START + n + 20) for n in range(args.events)])
        forgotten, prune = timed(lambda: media.forget_events(time.time()))
        print(f"rows of {forgotten} events with no file left deleted in {prune * 1000:.0f} ms "
              f"({prune / max(1, forgotten) * 1e6:.0f} µs a row; none has a picture to delete)")
        appliance.db.close()


if __name__ == "__main__":
    main()
