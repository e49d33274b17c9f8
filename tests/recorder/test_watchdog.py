"""The watchdog and reconfiguration on the shared live recorder (this module runs last: it
restarts ffmpeg)."""

from __future__ import annotations

import json
import os
import signal
import time
from datetime import datetime
from pathlib import Path

from securitycam.app import create_app
from securitycam.appliance import Hardware
from securitycam.bus import ARCHIVE_UPDATED, RECORDING_STATE
from securitycam.system.runner import RecordingRunner
from tests.conftest import FAST_DELAYS
from tests.recorder.conftest import Live, wait_for


def test_a_stalled_ffmpeg_is_restarted_and_the_gap_recorded(live: Live):
    camera = live.appliance.recorder.cameras["cam"]
    camera.stall_grace = 0.5
    try:
        frozen = wait_for(lambda: camera.supervisor.pid)
        restarts = camera.supervisor.restarts
        os.kill(frozen, signal.SIGSTOP)  # alive, but writes nothing: what a hung RTSP read looks like
        wait_for(lambda: camera.supervisor.restarts > restarts, timeout=20)
        wait_for(lambda: camera.last_segment_seen and camera.last_segment_seen > time.time() - 1.5, timeout=20)
    finally:
        camera.stall_grace = 10.0
    assert camera.supervisor.pid != frozen
    gaps = live.appliance.recorder.index.gaps("cam")
    assert any("no segment" in gap["reason"] for gap in gaps)
    assert live.appliance.recorder.status()["cameras"][0]["state"] == "running"


def test_changing_camera_settings_restarts_its_recorder(live: Live):
    camera = live.appliance.recorder.cameras["cam"]
    old_pid = camera.supervisor.pid
    response = live.client.put("/settings/Cameras", json={"value": [{
        **camera.camera.model_dump(), "frame_rate": 5,
    }]})
    assert response.status_code == 200, response.json
    current = wait_for(lambda: live.appliance.recorder.cameras.get("cam") is not camera
                       and live.appliance.recorder.cameras.get("cam"), timeout=20)
    assert current.camera.frame_rate == 5
    wait_for(lambda: current.last_segment_seen, timeout=20)
    assert current.supervisor.pid != old_pid
    states = [e.data for e in live.appliance.bus.recent(RECORDING_STATE) if e.data["camera"] == "cam"]
    assert states[-1]["state"] == "running"


def test_an_event_open_across_a_restart_keeps_all_its_footage(live: Live):
    """Restarts the shared appliance on its data directory; later tests get the new one."""
    data_dir = live.appliance.paths.root
    camera = live.appliance.recorder.cameras["cam"].camera
    event = live.appliance.events.open("cam", "sensor", "reed_switch")
    # Long enough for its first clip (max_clip_seconds) before the restart.
    [first] = wait_for(lambda: clips_of(live, event.id), timeout=20)
    live.appliance.stop()

    app = create_app(data_dir, Hardware(runner=RecordingRunner(), host=live.appliance.host), config=FAST_DELAYS)
    appliance = app.extensions["securitycam"]
    client = app.test_client()
    client.environ_base.update(live.client.environ_base)
    live.app, live.appliance, live.client = app, appliance, client  # the fixture's teardown stops it

    assert event.id in appliance.recorder.recording("cam")
    wait_for(lambda: appliance.recorder.cameras["cam"].last_segment_seen, timeout=20)
    appliance.events.end(event.id)
    [second] = wait_for(lambda: clips_of(live, event.id), timeout=20)
    before, after = (json.loads(Path(p).with_name(Path(p).stem + ".meta.json").read_text()) for p in (first, second))
    assert abs(before["pre_capture"] - camera.pre_capture) <= camera.segment_seconds + 0.2
    assert (before["part"], after["part"]) == (1, 2)
    # The second clip starts where the first stopped (no footage twice) and runs to the end + post, as
    # far as there is footage: the restart ended the event at its last footage, so its post-capture is
    # what the next ffmpeg recorded in that second, none when a loaded machine took longer to start it.
    assert epoch(after["started"]) >= epoch(before["stopped"]) - 0.05
    end = appliance.events.get(event.id).end_time
    post_footage = [s.end_time for s in appliance.recorder.index.for_camera("cam")
                    if end - 0.05 <= s.start_time < end + camera.post_capture]
    assert epoch(after["stopped"]) >= min(end + camera.post_capture, max(post_footage, default=end)) - 0.2
    assert appliance.events.get(event.id).data["clips"] == [first, second]
    assert client.get("/recording/status").status_code == 200


def clips_of(live: Live, event_id: str) -> list[str]:
    return [e.data["path"] for e in live.appliance.bus.recent(ARCHIVE_UPDATED) if e.data.get("event_id") == event_id]


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()
