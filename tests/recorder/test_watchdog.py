"""The watchdog and reconfiguration on the shared live recorder (this module runs last: it
restarts ffmpeg)."""

from __future__ import annotations

import os
import signal
import time

from securitycam.bus import RECORDING_STATE
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
