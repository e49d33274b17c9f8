"""Power cuts in a loop: start, record, SIGKILL at a random moment, restart; what did it leave?

    python bench/crash_cycle.py [--cycles 30] [--seed 1] [--data-dir DIR]

Each cycle starts ``securitycam serve`` on the same data directory (a temporary one by default)
and an ephemeral port, lets it settle, counts what the previous crash left, then triggers the mock
sensor and/or starts a manual recording (at random), and SIGKILLs the server's process group at a
random moment 0-8 s later (and, one restart in four, again 0-3 s after the restart answers,
while it closes the crashed events and makes their clips): the server and the short ffmpeg
jobs that make clips die at once. The recording ffmpeg runs in a session of
its own, as the recorder starts it, so whether it dies too is up to the code under test. After
the last cycle the server starts once more, settles, is counted, and is stopped with SIGTERM.

Printed after each restart (all should be 0):

- ``corrupt``: finished clips ffprobe cannot read or whose ``.meta.json`` does not parse, a
  database whose ``PRAGMA integrity_check`` is not ``ok``, a settings file that does not parse;
- ``open``: events still open that started before this restart;
- ``stale kept``: segments the recorder still holds for events (``kept`` in its segment index)
  older than the ring and the post-capture allow, that no event opened since the restart needs
  (once released they belong to the recordings and their retention days);
- ``strays``: recording ffmpeg processes on the data directory besides the one per camera the
  running server reports (and, at the very end, any at all).

The camera is made small (320×180, 1 s segments, a 6 s ring) so that a cycle takes ~25 s.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

from local_server import LocalServer, kill_recording_ffmpegs, recording_ffmpegs

CAMERA = {
    "name": "cam", "width": 320, "height": 180, "fps": 10, "segment_seconds": 1, "pre_capture": 2,
    "post_capture": 2, "max_clip_seconds": 60, "ring_seconds": 6, "frame_rate": 1, "frame_width": 320,
}
# Past this age a kept segment no new event needs should be gone: the ring, the post-capture, the
# recorder's wait for late segments (2 segments + 10 s), and a little slack.
STALE_AFTER = CAMERA["ring_seconds"] + CAMERA["post_capture"] + 2 * CAMERA["segment_seconds"] + 12


def start(data_dir: Path) -> LocalServer:
    return LocalServer(data_dir, "--threads", "24").wait_up(timeout=90)


def corrupt_files(data_dir: Path) -> tuple[list[str], int]:
    bad, clips = [], 0
    for clip in sorted((data_dir / "recordings").glob("output_*.mp4")):
        clips += 1
        probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                                str(clip)], capture_output=True, text=True)
        try:
            if probe.returncode != 0 or float(probe.stdout) <= 0:
                raise ValueError(probe.stderr.strip()[-200:])
            json.loads(clip.with_name(clip.stem + ".meta.json").read_text())
        except (OSError, ValueError) as exc:
            bad.append(f"{clip.name}: {exc}")
    with sqlite3.connect(f"file:{data_dir / 'securitycam.db'}?mode=ro", uri=True, timeout=30) as db:
        verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
    if verdict != "ok":
        bad.append(f"database: {verdict}")
    try:
        json.loads((data_dir / "settings" / "settings.json").read_text())
    except (OSError, ValueError) as exc:
        bad.append(f"settings: {exc}")
    return bad, clips


def event_rows(data_dir: Path) -> list[sqlite3.Row]:
    with sqlite3.connect(f"file:{data_dir / 'securitycam.db'}?mode=ro", uri=True, timeout=30) as db:
        db.row_factory = sqlite3.Row
        return db.execute("SELECT id, source, start_time, end_time FROM events").fetchall()


def stale_kept(data_dir: Path, restarted_at: float) -> tuple[int, int]:
    """Kept segments past ``STALE_AFTER`` that no event since the restart needs; and the bytes kept."""
    now = time.time()
    with sqlite3.connect(f"file:{data_dir / 'securitycam.db'}?mode=ro", uri=True, timeout=30) as db:
        kept = db.execute("SELECT start_time, end_time, size FROM recorder_segments WHERE kept = 1").fetchall()
    new_events = [(r["start_time"] - CAMERA["pre_capture"], r["end_time"]) for r in event_rows(data_dir)
                  if r["start_time"] >= restarted_at]
    stale = 0
    for start, end, _size in kept:
        needed = any(start < (stop or float("inf")) + CAMERA["post_capture"] and end > begin
                     for begin, stop in new_events)
        stale += end < now - STALE_AFTER and not needed
    return stale, sum(size for _start, _end, size in kept)


def settle_and_count(server: LocalServer, data_dir: Path, restarted_at: float) -> dict:
    """Wait until the restart has had time to close, clip and release what the crash left; count."""
    deadline = time.monotonic() + STALE_AFTER
    while time.monotonic() < deadline:
        time.sleep(1)
    status = server.get("/recording/status").json()
    ours = {camera["pid"] for camera in status["cameras"] if camera.get("pid")}
    bad, clips = corrupt_files(data_dir)
    stale, kept_bytes = stale_kept(data_dir, restarted_at)
    open_old = [r["id"] for r in event_rows(data_dir) if r["end_time"] is None and r["start_time"] < restarted_at]
    return {"corrupt": len(bad), "corrupt_detail": bad, "clips": clips, "open": len(open_old),
            "stale_kept": stale, "kept_mb": kept_bytes / 1e6, "strays": len(set(recording_ffmpegs(data_dir)) - ours),
            "recording": status["recording"]}


def line(label: str, counts: dict) -> str:
    return (f"{label}: corrupt {counts['corrupt']} (of {counts['clips']} clips, db, settings) | "
            f"open events {counts['open']} | stale kept segments {counts['stale_kept']} "
            f"({counts['kept_mb']:.1f} MB kept) | stray ffmpeg {counts['strays']} | "
            f"recording {counts['recording']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, help="default: a temporary directory, removed afterwards")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="crash-cycle-") as temporary:
        data_dir = (args.data_dir or Path(temporary) / "data").resolve()
        worst: dict[str, int] = {}
        server = start(data_dir)
        assert server.post("/settings", json={"Cameras": [CAMERA]}).ok
        restarted_at = time.time()
        try:
            for cycle in range(1, args.cycles + 2):
                counts = settle_and_count(server, data_dir, restarted_at)
                print(line(f"restart {cycle - 1:>2}" if cycle > 1 else "first start", counts), flush=True)
                for detail in counts["corrupt_detail"]:
                    print(f"    corrupt: {detail}", flush=True)
                for key in ("corrupt", "open", "stale_kept", "strays"):
                    worst[key] = max(worst.get(key, 0), counts[key])
                if cycle > args.cycles:
                    break
                actions = rng.choice([["sensor"], ["manual"], ["sensor", "manual"], ["sensor", "release"]])
                if "sensor" in actions:
                    server.post("/sensor/mock/trigger")
                if "manual" in actions:
                    server.post("/recording/start")
                wait = rng.uniform(0, 8)
                if "release" in actions:
                    time.sleep(wait / 2)
                    server.post("/sensor/mock/release")
                    wait /= 2
                time.sleep(wait)
                server.kill()
                print(f"cycle {cycle:>2}: {'+'.join(actions)}, SIGKILL after {wait:.1f} s", flush=True)
                server = start(data_dir)
                if rng.random() < 0.25:
                    # Again while the restart is closing events and making their clips.
                    early = rng.uniform(0, 3)
                    time.sleep(early)
                    server.kill()
                    print(f"          and SIGKILL again {early:.1f} s after the restart answered", flush=True)
                    server = start(data_dir)
                restarted_at = time.time()
        finally:
            code = server.stop()
        time.sleep(2)
        strays = kill_recording_ffmpegs(data_dir)
        print(f"after SIGTERM (exit {code}): stray ffmpeg {len(strays)}")
        print("worst after any restart: " + ", ".join(f"{key} {value}" for key, value in worst.items()))


if __name__ == "__main__":
    main()
