"""The ffmpeg jobs that cut a clip, stitch a timelapse, make an export or a preview GIF (and the
ffprobe that looks at a camera) die with the process that started them: a ``kill -9`` of the
appliance (the OOM killer) leaves none behind, writing a file that nobody will finish.

Each case runs the real code in a child Python whose ``ffmpeg`` and ``ffprobe`` (first on its
PATH) note their pid and sleep, as a long encode or a stuck camera would; the child alone is
SIGKILLed (not its process group, which a power cut would take anyway)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pytest

from tests.waiting import wait_for

SLOW_FFMPEG = """#!/bin/sh
echo $$ >> "$JOB_PIDS"
exec sleep 120
"""

# The appliance's Flask app in the child, services stopped, and a client logged in.
APP = """
        import os
        from securitycam.app import create_app
        from securitycam.appliance import Hardware
        os.environ["SECURITYCAM_PASSWORD"] = "job test password"
        app = create_app(root / "data", Hardware(run_cameras=False), start=False)
        client = app.test_client()
        token = client.post("/auth/validate", json={"password": "job test password"}).json["token"]
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
"""

JOBS = {
    "clip": """
        from securitycam.recorder import clips
        clips.join([root / "segment.ts"], root / "output_20260101_120000.mp4")
    """,
    "timelapse": """
        from securitycam.storage.timelapse import stitch
        stitch([root / "frame.jpg"], root / "timelapse_20260101.mp4", 10, "original")
    """,
    "export": """
        import time
        from securitycam.paths import DataPaths
        from securitycam.recorder.exports import Exporter
        from securitycam.recorder.recordings import RecordingStore
        from securitycam.store.db import Database
        paths = DataPaths(root)
        paths.exports.mkdir(parents=True)
        db = Database(paths.database)
        db.migrate()
        recordings = RecordingStore(db, paths)
        recordings.add("cam", root / "segment.ts", 1000.0, 1010.0, 1000)
        exporter = Exporter(db, paths, recordings)
        exporter.create("cam", 1000.0, 1010.0)
        exporter.start()
        time.sleep(120)
    """,
    "preview": APP + """
        appliance = app.extensions["securitycam"]
        event = appliance.events.open("cam", "api", "door")
        appliance.events.end(event.id)
        clip = appliance.paths.recordings / "output_20260101_120000.mp4"
        clip.write_bytes(b"footage")
        appliance.events.update(event.id, has_clip=True, data={"clips": [str(clip)]})
        client.get(f"/api/events/{event.id}/preview.gif")
    """,
    "ffprobe": APP + """
        client.get("/api/ffprobe?paths=cam")
    """,
}


def running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.parametrize("job", sorted(JOBS))
def test_a_job_dies_when_the_appliance_is_killed(tmp_path: Path, job: str) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in ("ffmpeg", "ffprobe"):
        (bin_dir / program).write_text(SLOW_FFMPEG)
        (bin_dir / program).chmod(0o755)
    pids = tmp_path / "ffmpeg.pids"
    script = f"from pathlib import Path\nroot = Path({str(tmp_path)!r})\n" + textwrap.dedent(JOBS[job])
    appliance = subprocess.Popen(
        [sys.executable, "-c", script], stderr=subprocess.PIPE,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "JOB_PIDS": str(pids)},
    )
    ffmpeg = None
    try:
        ffmpeg = int(wait_for(lambda: pids.exists() and pids.read_text().split(), what=f"the {job}'s ffmpeg")[0])
        assert psutil.Process(ffmpeg).ppid() == appliance.pid
        appliance.send_signal(signal.SIGKILL)
        appliance.wait(timeout=10)
        wait_for(lambda: not running(ffmpeg), timeout=30, what="the job's ffmpeg to die with the appliance")
    finally:
        appliance.kill()
        appliance.wait(timeout=10)
        if ffmpeg is not None and running(ffmpeg):
            os.kill(ffmpeg, signal.SIGKILL)
