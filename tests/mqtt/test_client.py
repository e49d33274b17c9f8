"""The MQTT client service against a real mosquitto: off by default, connection, availability,
sensor state, and a broker that is away or refuses the login."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from securitycam.appliance import Appliance
from securitycam.bus import TooManySubscribers
from securitycam.mqtt.outbox import Outbox
from securitycam.mqtt.service import OUTBOX_FILE
from tests.mqtt.broker import Broker, Listener, free_port, wait_for
from tests.mqtt.conftest import connect, mqtt_service
from tests.test_credentials import viewer_client


def alerts(client: FlaskClient) -> dict:
    response = client.get("/system_alert_state")
    assert response.status_code == 200
    return response.json


def test_off_by_default_and_password_never_shown(client: FlaskClient, appliance: Appliance, data_dir: Path) -> None:
    settings = client.get("/settings").json
    assert settings["MQTT"]["enabled"] is False
    assert "password" not in settings["MQTT"]
    answer = client.post("/settings", json={"MQTT": {"password": "hidden-pw"}})
    assert answer.status_code == 200 and "password" not in answer.json["settings"]["MQTT"]
    assert appliance.settings.get().MQTT.password == "hidden-pw"
    assert "hidden-pw" not in client.get("/settings").get_data(as_text=True)
    assert not mqtt_service(appliance).connected
    assert not (data_dir / OUTBOX_FILE).exists()


def test_an_admin_sets_the_password_over_the_api_and_it_reconnects_with_it(
        app: Flask, client: FlaskClient, appliance: Appliance, data_dir: Path, tmp_path: Path) -> None:
    broker = Broker(tmp_path / "locked", users={"cam": "first-pw", "cam2": "second-pw"})
    broker.start()
    try:
        viewer = viewer_client(app, client)
        mqtt = {"enabled": True, "host": "127.0.0.1", "port": broker.port, "user": "cam", "password": "first-pw"}
        assert viewer.post("/settings", json={"MQTT": mqtt}).status_code == 403
        assert viewer.put("/settings/MQTT.password", json={"value": "first-pw"}).status_code == 403
        assert appliance.settings.get().MQTT.password is None
        assert client.post("/settings", json={"MQTT": mqtt}).status_code == 200
        wait_for(lambda: mqtt_service(appliance).connected)

        # A new login: the broker takes the new user and password, after a reconnection.
        answer = client.post("/settings", json={"MQTT": {"user": "cam2", "password": "second-pw"}})
        assert answer.status_code == 200
        wait_for(lambda: (link := mqtt_service(appliance).link) is not None and link.config.user == "cam2"
                 and mqtt_service(appliance).connected)
        # Saving the section back as a client read it (no password) keeps the password.
        shown = client.get("/settings").json["MQTT"]
        assert client.put("/settings/MQTT", json={"value": shown}).status_code == 200
        assert appliance.settings.get().MQTT.password == "second-pw"
        assert client.put("/settings/MQTT.password", json={"value": "wrong"}).status_code == 200
        wait_for(lambda: alerts(client)["alerts"].get("mqtt") == "warn")
        assert client.put("/settings/MQTT.password", json={"value": "second-pw"}).status_code == 200
        wait_for(lambda: mqtt_service(appliance).connected)

        # No reader ever sees it; the settings file keeps it.
        for reader in (client, viewer):
            for path in ("/settings", "/system_info"):
                assert "second-pw" not in reader.get(path).get_data(as_text=True), path
        on_disk = json.loads((data_dir / "settings" / "settings.json").read_text())
        assert on_disk["MQTT"]["password"] == "second-pw"
    finally:
        broker.stop()


def test_connects_with_a_stable_node_id_and_says_online(client: FlaskClient, appliance: Appliance,
                                                        broker: Broker, listener: Listener) -> None:
    node = connect(appliance, broker)
    assert node and node == client.get("/settings").json["MQTT"]["node_id"]
    listener.wait_last(f"securitycam/{node}/available", "online")
    listener.wait_last("securitycam/available", "online")
    # The client id is the node id, so that appliances sharing a broker never push each other off.
    wait_for(lambda: f"as {node}" in (broker.dir / "mosquitto.log").read_text())
    # A new broker setting starts a new session; the node id stays.
    client.post("/settings", json={"MQTT": {"topic_prefix": "house"}})
    listener.wait_last(f"house/{node}/available", "online")
    assert appliance.settings.get().MQTT.node_id == node


def test_mock_sensor_trigger_gives_on_then_off(client: FlaskClient, appliance: Appliance, broker: Broker,
                                               listener: Listener) -> None:
    node = connect(appliance, broker)
    topic = f"securitycam/{node}/sensor/sensor1/state"
    listener.wait_last(topic, "OFF")
    assert client.post("/sensor/mock/trigger").status_code == 200
    listener.wait_last(topic, "ON")
    assert client.post("/sensor/mock/release").status_code == 200
    listener.wait_last(topic, "OFF")
    assert listener.on(topic)[-3:] == [b"OFF", b"ON", b"OFF"]


def test_clean_stop_says_offline(appliance: Appliance, broker: Broker, listener: Listener) -> None:
    node = connect(appliance, broker)
    listener.wait_last(f"securitycam/{node}/available", "online")
    mqtt_service(appliance).stop()
    listener.wait_last(f"securitycam/{node}/available", "offline")
    listener.wait_last("securitycam/available", "offline")


def test_wrong_password_raises_an_alert_and_the_api_still_answers(client: FlaskClient, appliance: Appliance,
                                                                  tmp_path: Path) -> None:
    broker = Broker(tmp_path / "locked", users={"cam": "right-password"})
    broker.start()
    try:
        def login(password: str) -> None:
            def change(draft):  # type: ignore[no-untyped-def]
                draft.MQTT.enabled = True
                draft.MQTT.host = "127.0.0.1"
                draft.MQTT.port = broker.port
                draft.MQTT.user = "cam"
                draft.MQTT.password = password

            appliance.settings.modify(change)

        login("wrong-password")
        state = wait_for(lambda: (s := alerts(client))["alerts"].get("mqtt") == "warn" and s)
        assert "refused" in state["values"]["mqtt"]
        assert not mqtt_service(appliance).connected
        # The API and the sensors go on meanwhile.
        assert client.get("/sensor/status").status_code == 200
        assert client.post("/sensor/mock/trigger").status_code == 200
        login("right-password")
        wait_for(lambda: mqtt_service(appliance).connected)
        wait_for(lambda: alerts(client)["alerts"].get("mqtt", "ok") == "ok")
    finally:
        broker.stop()


def test_broker_down_at_start_then_up(client: FlaskClient, appliance: Appliance, tmp_path: Path) -> None:
    broker = Broker(tmp_path / "late")
    appliance.settings.update({"MQTT": {"enabled": True, "host": "127.0.0.1", "port": broker.port}})
    state = wait_for(lambda: (s := alerts(client))["alerts"].get("mqtt") == "warn" and s)
    assert "cannot reach" in state["values"]["mqtt"]
    broker.start()
    try:
        wait_for(lambda: mqtt_service(appliance).connected, timeout=20)
        wait_for(lambda: alerts(client)["alerts"].get("mqtt", "ok") == "ok")
    finally:
        broker.stop()


def test_outbox_is_bounded_ordered_and_survives_reopening(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "q.db", limit=100)
    for n in range(150):
        outbox.put("t", f"{n}")
    assert len(outbox) == 100 and outbox.dropped == 50
    assert [m.payload for m in outbox.after(0, 3)] == [b"50", b"51", b"52"]
    first = outbox.after(0, 10)
    outbox.delete([m.id for m in first])
    outbox.close()
    reopened = Outbox(tmp_path / "q.db", limit=100)
    assert len(reopened) == 90
    assert [m.payload for m in reopened.after(0, 90)] == [str(n).encode() for n in range(60, 150)]
    # Messages already with the connection (ids up to keep_after) are never the ones dropped.
    handed = reopened.after(0, 1)[0].id
    reopened.limit = 90
    reopened.put("t", "new", keep_after=handed)
    assert [m.payload for m in reopened.after(0, 2)] == [b"60", b"62"]


def test_unused_port_helper_is_free() -> None:
    assert free_port() > 0


def test_tls_with_the_owners_ca(client: FlaskClient, appliance: Appliance, tmp_path: Path, data_dir: Path) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(certs / "key.pem"),
                    "-out", str(certs / "cert.pem")], check=True, capture_output=True)
    broker = Broker(tmp_path / "tls", tls=(certs / "cert.pem", certs / "key.pem"))
    broker.start()
    try:
        shutil.copy(certs / "cert.pem", data_dir / "settings" / "broker-ca.pem")
        assert client.post("/settings", json={"MQTT": {"tls_ca_file": "../../cert.pem"}}).status_code == 400
        assert client.post("/settings", json={"MQTT": {
            "enabled": True, "host": "127.0.0.1", "port": broker.port, "tls": True, "tls_ca_file": "broker-ca.pem",
        }}).status_code == 200
        wait_for(lambda: mqtt_service(appliance).connected)
        # Without the owner's CA the certificate is not trusted: no connection, an alert.
        client.post("/settings", json={"MQTT": {"tls_ca_file": ""}})
        wait_for(lambda: alerts(client)["alerts"].get("mqtt") == "warn")
        assert not mqtt_service(appliance).connected
    finally:
        broker.stop()


def test_follows_the_bus_once_live_streams_leave_room(client: FlaskClient, appliance: Appliance, broker: Broker,
                                                      listener: Listener) -> None:
    streams = []
    while True:  # every place on the bus taken by live event streams (SSE clients)
        try:
            streams.append(appliance.bus.subscribe())
        except TooManySubscribers:
            break
    node = connect(appliance, broker)
    topic = f"securitycam/{node}/sensor/sensor1/state"
    listener.wait_last(topic, "OFF")
    assert client.post("/sensor/mock/trigger").status_code == 200
    streams.pop().close()
    listener.wait_last(topic, "ON")  # read afresh once it could subscribe
    assert client.post("/sensor/mock/release").status_code == 200
    listener.wait_last(topic, "OFF")  # and followed from then on
    for stream in streams:
        stream.close()


def test_turning_mqtt_off_ends_its_alerts_with_a_back_to_normal(client: FlaskClient, appliance: Appliance,
                                                                 tmp_path: Path) -> None:
    away = Broker(tmp_path / "never-started")
    assert client.post("/settings", json={"MQTT": {"enabled": True, "host": "127.0.0.1",
                                                   "port": away.port}}).status_code == 200
    wait_for(lambda: alerts(client)["alerts"].get("mqtt") == "warn")
    appliance.health.set_alert("mqtt_queue", "warn", "MQTT queue full")  # as a long outage leaves it
    with appliance.bus.subscribe() as sub:
        assert client.post("/settings", json={"MQTT": {"enabled": False}}).status_code == 200
        cleared: set[str] = set()
        while cleared != {"mqtt", "mqtt_queue"}:
            message = sub.next(timeout=10)
            assert message, f"no back-to-normal for {({'mqtt', 'mqtt_queue'} - cleared)}"
            if message is not False and message.name == "system_alert":
                cleared |= {metric for metric, change in message.data["changed"].items() if change["to"] == "ok"}
    state = alerts(client)
    assert "mqtt" not in state["alerts"] and "mqtt_queue" not in state["alerts"] and state["overall"] == "ok"
