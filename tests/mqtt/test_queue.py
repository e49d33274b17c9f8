"""Nothing lost: event messages wait on disk while the broker is away and arrive in order, once each."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from securitycam.appliance import Appliance
from tests.mqtt.broker import Broker, Listener, wait_for
from tests.mqtt.conftest import connect, mqtt_service


def queued(appliance: Appliance) -> int:
    outbox = mqtt_service(appliance).outbox
    assert outbox is not None
    return len(outbox)


@pytest.fixture
def durable_listener(broker: Broker) -> Iterator[Listener]:
    """A subscriber with a persistent session, like Home Assistant's: the broker keeps its
    subscription and queues for it across the broker's restart."""
    listener = Listener(broker, ["securitycam/events", "securitycam/+/sensor/+/state"], client_id="durable",
                        persistent=True)
    yield listener
    listener.close()


def test_twenty_events_while_the_broker_is_down_arrive_once_each_in_order(
    client: FlaskClient, appliance: Appliance, broker: Broker, durable_listener: Listener
) -> None:
    assert client.patch("/sensors/sensor1", json={"hold_seconds": 0}).status_code == 200
    node = connect(appliance, broker)
    state_topic = f"securitycam/{node}/sensor/sensor1/state"
    durable_listener.wait_last(state_topic, "OFF")
    states_before = len(durable_listener.on(state_topic))

    broker.stop()
    wait_for(lambda: not mqtt_service(appliance).connected)
    opened = []
    for _ in range(20):
        assert client.post("/sensor/mock/trigger").status_code == 200
        opened.append(client.get("/sensor/status").json["event_id"])
        assert client.post("/sensor/mock/release").status_code == 200
    assert len(set(opened)) == 20
    wait_for(lambda: queued(appliance) >= 40)  # and the review items' messages

    broker.start()
    wait_for(lambda: len(durable_listener.on("securitycam/events")) >= 40, timeout=30)
    messages = [json.loads(p) for p in durable_listener.on("securitycam/events")]
    assert [(m["type"], m["after"]["id"]) for m in messages] == [
        (kind, event_id) for event_id in opened for kind in ("new", "end")
    ]
    for message in messages:
        assert message["after"]["label"] == "mock" and message["after"]["source"] == "sensor"
        assert message["before"]["id"] == message["after"]["id"]
        assert (message["after"]["end_time"] is None) == (message["type"] == "new")
    wait_for(lambda: queued(appliance) == 0)
    # Retained state is published again on the new connection.
    wait_for(lambda: len(durable_listener.on(state_topic)) > states_before)
    assert durable_listener.last(state_topic) == b"OFF"


def test_queued_messages_survive_an_appliance_restart(
    client: FlaskClient, appliance: Appliance, broker: Broker, durable_listener: Listener
) -> None:
    assert client.patch("/sensors/sensor1", json={"hold_seconds": 0}).status_code == 200
    connect(appliance, broker)
    broker.stop()
    wait_for(lambda: not mqtt_service(appliance).connected)
    assert client.post("/sensor/mock/trigger").status_code == 200
    event_id = client.get("/sensor/status").json["event_id"]
    service = mqtt_service(appliance)
    wait_for(lambda: queued(appliance) >= 1)
    service.stop()  # the appliance stops with the message still queued on disk
    broker.start()
    service.start()
    wait_for(lambda: durable_listener.on("securitycam/events"), timeout=30)
    [message] = [json.loads(p) for p in durable_listener.on("securitycam/events")]
    assert (message["type"], message["after"]["id"]) == ("new", event_id)


def test_a_full_queue_drops_the_oldest_and_says_so(client: FlaskClient, appliance: Appliance, broker: Broker,
                                                   durable_listener: Listener) -> None:
    connect(appliance, broker, queue_limit=100)
    broker.stop()
    wait_for(lambda: not mqtt_service(appliance).connected)
    ids = []
    for _ in range(60):  # 120 messages for a queue of 100
        event = appliance.events.open("cam", "manual", "manual")  # no review item: only events queued
        appliance.events.end(event.id)
        ids.append(event.id)
    alert = wait_for(lambda: (s := client.get("/system_alert_state").json)["alerts"].get("mqtt_queue") == "warn" and s)
    assert "oldest dropped" in alert["values"]["mqtt_queue"]
    assert queued(appliance) == 100
    broker.start()
    wait_for(lambda: len(durable_listener.on("securitycam/events")) >= 100, timeout=30)
    received = [(m["type"], m["after"]["id"]) for m in durable_listener.json_on("securitycam/events")]
    assert received == [(kind, event_id) for event_id in ids for kind in ("new", "end")][-100:]
    wait_for(lambda: client.get("/system_alert_state").json["alerts"].get("mqtt_queue", "ok") == "ok")


def test_events_during_a_reconnection_for_new_settings_are_kept(client: FlaskClient, appliance: Appliance,
                                                                broker: Broker, durable_listener: Listener) -> None:
    connect(appliance, broker)
    ids = []
    for n in range(20):
        if n == 5:
            client.post("/settings", json={"MQTT": {"stats_interval": 120}})  # a new session starts meanwhile
        event = appliance.events.open("cam", "manual", "manual")  # no review item: only events queued
        appliance.events.end(event.id)
        ids.append(event.id)
    wait_for(lambda: len(durable_listener.on("securitycam/events")) >= 40, timeout=30)
    received = [(m["type"], m["after"]["id"]) for m in durable_listener.json_on("securitycam/events")]
    assert received == [(kind, event_id) for event_id in ids for kind in ("new", "end")]
