"""With the synthetic camera really recording: manual recording switch, latest frame, snapshot button."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from securitycam.appliance import Appliance, Hardware
from securitycam.system.host import HostReader
from securitycam.system.runner import RecordingRunner
from tests.conftest import FakeDisk
from tests.mqtt.broker import Broker, Listener, wait_for
from tests.mqtt.conftest import connect


@pytest.fixture
def hardware(runner: RecordingRunner, sysroot: Path, disk: FakeDisk) -> Hardware:
    return Hardware(runner=runner, host=HostReader(sysroot, disk_usage=disk), run_cameras=True)


def test_manual_recording_latest_frame_and_snapshot(client: FlaskClient, appliance: Appliance, broker: Broker,
                                                    listener: Listener) -> None:
    client.post("/settings", json={"Cameras": [{"name": "cam", "width": 320, "height": 180, "fps": 5,
                                                "frame_rate": 2}]})
    node = connect(appliance, broker, frame_interval=1)
    wait_for(lambda: appliance.recorder.cameras.get("cam") and appliance.recorder.cameras["cam"].latest_frame(),
             timeout=30)
    frame = wait_for(lambda: listener.last(f"securitycam/{node}/cam/latest"), timeout=15)
    assert frame[:2] == b"\xff\xd8"

    switch = f"securitycam/{node}/cam/manual_recording"
    listener.wait_last(switch, "OFF")
    listener.publish(f"{switch}/set", "ON")
    listener.wait_last(switch, "ON")
    assert appliance.recorder.manual_event("cam")
    listener.wait_last(f"securitycam/{node}/cam/recording", "ON")
    listener.publish(f"{switch}/set", "OFF")
    listener.wait_last(switch, "OFF")
    assert appliance.recorder.manual_event("cam") is None

    listener.publish(f"securitycam/{node}/cam/snapshot/set", "PRESS")
    wait_for(lambda: list(appliance.paths.recordings.glob("snapshot_*.jpg")))
