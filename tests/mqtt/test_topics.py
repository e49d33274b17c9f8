"""Frigate's topics and the appliance's own: events, switches and their echo, arm/disarm, stats,
health, storage, presence, and the messages detection will put on the bus."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from securitycam.appliance import Appliance
from securitycam.bus import MOTION, OBJECT_EVENTS, PRESENCE_CHANGE, REVIEWS, TRACKED_OBJECT_UPDATE
from securitycam.system.runner import RecordingRunner
from tests.mqtt.broker import Broker, Listener, wait_for
from tests.mqtt.conftest import connect


def test_an_event_of_the_store_gives_frigates_new_update_end(appliance: Appliance, broker: Broker,
                                                            listener: Listener) -> None:
    connect(appliance, broker)
    event = appliance.events.open("cam", "api", "person", score=0.71)
    wait_for(lambda: listener.json_on("securitycam/events"))
    appliance.events.update(event.id, top_score=0.93, has_snapshot=True, zones=["porch"])
    wait_for(lambda: len(listener.json_on("securitycam/events")) == 2)
    appliance.events.end(event.id)
    wait_for(lambda: len(listener.json_on("securitycam/events")) == 3)
    new, update, end = listener.json_on("securitycam/events")
    assert [new["type"], update["type"], end["type"]] == ["new", "update", "end"]
    assert new["before"] == new["after"]
    assert new["after"]["id"] == event.id and new["after"]["label"] == "person" and new["after"]["camera"] == "cam"
    assert new["after"]["active"] is True and new["after"]["end_time"] is None
    assert update["before"]["top_score"] == 0.71 and update["after"]["top_score"] == 0.93
    assert update["after"]["has_snapshot"] is True and update["after"]["current_zones"] == ["porch"]
    assert end["before"] == update["after"]
    assert end["after"]["end_time"] >= end["after"]["start_time"] and end["after"]["active"] is False
    assert end["after"]["entered_zones"] == ["porch"] and end["after"]["current_zones"] == []


def test_camera_switches_are_validated_stored_and_echoed(client: FlaskClient, appliance: Appliance,
                                                         broker: Broker, listener: Listener) -> None:
    connect(appliance, broker)
    state = "securitycam/cam/detect/state"
    listener.wait_last(state, "OFF")  # detection is off on a fresh camera
    listener.publish("securitycam/cam/detect/set", "ON")
    listener.wait_last(state, "ON")
    assert client.get("/settings").json["Cameras"][0]["detect"]["enabled"] is True
    echoes = len(listener.on(state))
    listener.publish("securitycam/cam/detect/set", "maybe")  # refused: the standing state is echoed
    wait_for(lambda: len(listener.on(state)) > echoes)
    assert listener.last(state) == b"ON"
    listener.publish("securitycam/nosuchcam/detect/set", "OFF")
    listener.publish("securitycam/cam/snapshots/set", "off")
    listener.wait_last("securitycam/cam/snapshots/state", "OFF")
    assert client.get("/settings").json["Cameras"][0]["snapshots"]["enabled"] is False
    listener.publish("securitycam/cam/recordings/set", "OFF")
    listener.wait_last("securitycam/cam/recordings/state", "OFF")
    assert listener.on("securitycam/nosuchcam/detect/state") == []
    # A change through the API shows on the switch.
    client.post("/settings", json={"Cameras": [{**client.get("/settings").json["Cameras"][0],
                                                "motion": {"enabled": False}}]})
    listener.wait_last("securitycam/cam/motion/state", "OFF")
    # Kept across a new session (and a restart: settings, and the publisher's file for `recordings`).
    client.post("/settings", json={"MQTT": {"topic_prefix": "house"}})
    listener.wait_last("house/cam/detect/state", "ON")
    listener.wait_last("house/cam/recordings/state", "OFF")
    listener.wait_last("house/cam/snapshots/state", "OFF")


def test_arm_and_disarm(client: FlaskClient, appliance: Appliance, broker: Broker, listener: Listener) -> None:
    node = connect(appliance, broker)
    listener.wait_last(f"securitycam/{node}/armed", "ON")
    listener.publish(f"securitycam/{node}/armed/set", "OFF")
    listener.wait_last(f"securitycam/{node}/armed", "OFF")
    assert [s["enabled"] for s in client.get("/sensors").json["sensors"]] == [False]
    listener.wait_last(f"securitycam/{node}/sensor/sensor1/armed", "OFF")
    listener.publish(f"securitycam/{node}/sensor/sensor1/armed/set", "ON")
    listener.wait_last(f"securitycam/{node}/sensor/sensor1/armed", "ON")
    assert [s["enabled"] for s in client.get("/sensors").json["sensors"]] == [True]
    listener.wait_last(f"securitycam/{node}/armed", "ON")


def test_stats_health_storage_and_restart(appliance: Appliance, broker: Broker, listener: Listener,
                                         runner: RecordingRunner) -> None:
    node = connect(appliance, broker)
    stats = wait_for(lambda: listener.json_on("securitycam/stats"))[-1]
    assert set(stats["cameras"]) == {"cam"}
    assert stats["service"]["version"] and stats["service"]["uptime"] >= 0
    storage = wait_for(lambda: listener.json_on(f"securitycam/{node}/storage"))[-1]
    assert storage["percent"] == 20.0
    health = wait_for(lambda: listener.json_on(f"securitycam/{node}/health"))[-1]
    assert health["overall"] in ("ok", "warn", "critical") and "cpu_temp" in health
    listener.publish(f"securitycam/{node}/restart/set", "PRESS")
    assert runner.wait_for(["systemctl", "restart", "securitycam.service"]) is not None


def test_presence_anyone_home_and_per_device(appliance: Appliance, broker: Broker, listener: Listener) -> None:
    node = connect(appliance, broker)
    listener.wait_last(f"securitycam/{node}/presence/anyone_home", "OFF")
    appliance.bus.publish(PRESENCE_CHANGE, {"address": "AA:BB:CC:DD:EE:01", "name": "phone", "present": True,
                                            "anyone_home": True})
    listener.wait_last(f"securitycam/{node}/presence/anyone_home", "ON")
    listener.wait_last(f"securitycam/{node}/presence/aa_bb_cc_dd_ee_01", "home")


def object_message(kind: str, event_id: str, **after: object) -> dict:
    """One of detection's object messages (securitycam/detection/objects.py), trimmed."""
    payload = {"id": event_id, "camera": "cam", "label": "person", "score": 0.9, "top_score": 0.9,
               "start_time": 1.0, "end_time": None, "has_snapshot": False, "false_positive": False, **after}
    return {"type": kind, "before": payload, "after": payload}


def test_detections_messages_reach_frigates_topics(appliance: Appliance, broker: Broker, listener: Listener,
                                                   tmp_path: Path) -> None:
    connect(appliance, broker)
    listener.wait_last("securitycam/cam/person", "0")
    picture = tmp_path / "cam-a.jpg"
    picture.write_bytes(b"\xff\xd8 a jpeg \xff\xd9")
    event = appliance.events.open("cam", "object", "person", data={"snapshot": {"path": str(picture)}},
                                  event_id="1.0-aaaaaa")
    appliance.bus.publish(OBJECT_EVENTS, object_message("new", event.id))
    appliance.bus.publish(OBJECT_EVENTS, object_message("new", "1.5-bbbbbb"))
    listener.wait_last("securitycam/cam/person", "2")
    appliance.bus.publish(OBJECT_EVENTS, object_message("update", event.id, has_snapshot=True))
    listener.wait_last("securitycam/cam/person/snapshot", picture.read_bytes())
    appliance.bus.publish(OBJECT_EVENTS, object_message("end", event.id, end_time=3.0))
    listener.wait_last("securitycam/cam/person", "1")
    appliance.events.end(event.id)
    review = {"type": "new", "before": None, "after": {"id": "r1", "severity": "alert"}}
    appliance.bus.publish(REVIEWS, review)
    appliance.bus.publish(MOTION, {"camera": "cam", "active": True})
    appliance.bus.publish(TRACKED_OBJECT_UPDATE, {"type": "description", "id": "e1", "description": "a man"})
    listener.wait_last("securitycam/cam/motion", "ON")
    assert wait_for(lambda: listener.json_on("securitycam/reviews")) == [review]
    assert wait_for(lambda: listener.json_on("securitycam/tracked_object_update"))[0]["description"] == "a man"
    # Objects' events are detection's messages, as they are; the store's rows for them add none.
    wait_for(lambda: len(listener.json_on("securitycam/events")) == 4)
    assert [(m["type"], m["after"]["id"]) for m in listener.json_on("securitycam/events")] == [
        ("new", event.id), ("new", "1.5-bbbbbb"), ("update", event.id), ("end", event.id)]


def test_a_sub_label_set_through_frigates_api_gives_a_tracked_object_update(
        client: FlaskClient, appliance: Appliance, broker: Broker, listener: Listener) -> None:
    connect(appliance, broker)
    event = appliance.events.open("cam", "api", "person", score=0.8)
    answer = client.post(f"/api/events/{event.id}/sub_label", json={"subLabel": " Ann ", "subLabelScore": 0.9})
    assert answer.status_code == 200, answer.json
    assert client.post(f"/api/events/{event.id}/sub_label", json={"subLabel": ""}).status_code == 200
    updates = wait_for(lambda: (m := listener.json_on("securitycam/tracked_object_update")) and len(m) == 2 and m)
    named, cleared = updates
    assert {k: v for k, v in named.items() if k != "timestamp"} == {
        "type": "classification", "id": event.id, "camera": "cam", "model": None, "sub_label": "Ann", "score": 0.9}
    assert named["timestamp"] >= event.start_time
    assert (cleared["sub_label"], cleared["score"]) == (None, None)
    # A refused request announces nothing.
    assert client.post("/api/events/no-such-event/sub_label", json={"subLabel": "Bob"}).status_code == 404
    assert client.post(f"/api/events/{event.id}/sub_label", json={"subLabel": "x" * 101}).status_code == 400
    appliance.events.end(event.id)
    wait_for(lambda: listener.json_on("securitycam/events")[-1]["type"] == "end")
    assert len(listener.json_on("securitycam/tracked_object_update")) == 2
