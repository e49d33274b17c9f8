"""A person walks past the camera: real ffmpeg, the shipped person model, the tracker, and what a
Home Assistant or Frigate-minded subscriber sees over MQTT."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from securitycam.appliance import Appliance, Hardware
from securitycam.system.host import HostReader
from securitycam.system.runner import RecordingRunner
from tests.conftest import FakeDisk
from tests.detection import scene
from tests.detection.test_end_to_end import camera, make_clip
from tests.mqtt.broker import Broker, Listener, wait_for
from tests.mqtt.conftest import connect


@pytest.fixture
def hardware(runner: RecordingRunner, sysroot: Path, disk: FakeDisk) -> Hardware:
    return Hardware(runner=runner, host=HostReader(sysroot, disk_usage=disk), run_cameras=True)


def test_a_person_walking_by(client: FlaskClient, appliance: Appliance, broker: Broker, listener: Listener,
                             tmp_path: Path) -> None:
    clip = tmp_path / "walk.mp4"
    make_clip(clip, [*scene.still(10), *scene.walking(30), *scene.still(200)])
    connect(appliance, broker)
    walk = {**camera("walk", clip), "motion": {"mqtt_off_delay": 2}}
    assert client.post("/settings", json={"Cameras": [walk]}).status_code == 200
    listener.wait_last("securitycam/walk/detect/state", "ON")

    events = wait_for(lambda: (m := listener.json_on("securitycam/events")) and m[-1]["type"] == "end" and m,
                      timeout=60)
    assert events[0]["type"] == "new" and all(m["type"] == "update" for m in events[1:-1])
    ids = {m["after"]["id"] for m in events}
    assert len(ids) == 1 and {m["after"]["label"] for m in events} == {"person"}
    assert events[-1]["after"]["end_time"] is not None and events[-1]["before"]["end_time"] is None
    (event_id,) = ids
    assert appliance.events.get(event_id).source == "object"  # type: ignore[union-attr]

    counts = listener.on("securitycam/walk/person")
    assert b"1" in counts and counts[-1] == b"0"
    snapshot = wait_for(lambda: listener.last("securitycam/walk/person/snapshot"))
    assert snapshot[:2] == b"\xff\xd8"
    # OFF for a new camera, ON when the person came, OFF two seconds after they left.
    assert wait_for(lambda: (m := listener.on("securitycam/walk/motion")) and m[-1] == b"OFF" and m,
                    timeout=20) == [b"OFF", b"ON", b"OFF"]
    reviews = wait_for(lambda: (m := listener.json_on("securitycam/reviews")) and m[-1]["type"] == "end" and m,
                       timeout=20)
    assert reviews[0]["type"] == "new" and reviews[-1]["after"]["data"]["detections"] == [event_id]
