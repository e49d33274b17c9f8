"""Five appliances (``securitycam serve`` processes) on one broker: distinct ids, and a subscriber
that sees every event of every appliance exactly once across a broker restart."""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.local_server import LocalServer
from securitycam.mqtt.service import OUTBOX_FILE
from tests.mqtt.broker import Broker, Listener, wait_for

PASSWORD = "fleet-password"
APPLIANCES = 5


class Appliance(LocalServer):
    def event(self) -> str:
        """One door opening and closing; the event's id."""
        assert self.post("/sensor/mock/trigger").ok
        event_id = self.get("/sensor/status").json()["event_id"]
        assert self.post("/sensor/mock/release").ok
        return event_id

    def queued(self) -> int:
        """Messages in the MQTT queue the broker has not acknowledged yet."""
        with contextlib.closing(sqlite3.connect(self.data_dir / OUTBOX_FILE, timeout=10)) as db:
            return int(db.execute("SELECT count(*) FROM outbox").fetchone()[0])


def start_appliance(root: Path, broker: Broker) -> Appliance:
    data_dir = root / "data"
    (data_dir / "settings").mkdir(parents=True)
    (data_dir / "settings" / "settings.json").write_text(json.dumps({
        "MQTT": {"enabled": True, "host": "127.0.0.1", "port": broker.port, "stats_interval": 3600,
                 "frame_interval": 0},
        "Cameras": [{"name": "cam", "enabled": False}],
        "Sensors": [{"id": "door", "type": "mock", "gpio": None, "enabled": True, "hold_seconds": 0}],
        "CaptivePortal": {"enabled": False},
    }))
    return Appliance(data_dir, "--threads", "8", password=PASSWORD, output=(root / "serve.log").open("wb"))


@pytest.fixture
def fleet(tmp_path: Path, broker: Broker) -> Iterator[list[Appliance]]:
    appliances = [start_appliance(tmp_path / f"appliance{n}", broker) for n in range(APPLIANCES)]
    try:
        for appliance in appliances:
            appliance.wait_up()
        yield appliances
    finally:
        for appliance in appliances:
            if appliance.proc.poll() is None:
                appliance.proc.send_signal(signal.SIGTERM)
        for appliance in appliances:
            appliance.stop(timeout=20)


def test_five_appliances_on_one_broker(broker: Broker, fleet: list[Appliance]) -> None:
    listener = Listener(broker, ["securitycam/events", "securitycam/+/available"], client_id="fleet-watch",
                        persistent=True)
    try:
        nodes = [appliance.get("/settings").json()["MQTT"]["node_id"] for appliance in fleet]
        assert len(set(nodes)) == APPLIANCES and all(nodes)
        for node in nodes:
            listener.wait_last(f"securitycam/{node}/available", "online", timeout=30)
        log = (broker.dir / "mosquitto.log").read_text()
        assert all(f"as {node} " in log for node in nodes)  # each node id is its own client id

        own_events: list[list[str]] = [[] for _ in fleet]

        def each_opens_and_closes_the_door(times: int) -> None:
            for _ in range(times):
                for n, appliance in enumerate(fleet):
                    own_events[n].append(appliance.event())

        each_opens_and_closes_the_door(2)
        # The broker goes away between messages: one in flight at that very moment may come twice
        # (QoS 1 is "at least once"), which is not what this test is about. A message the listener
        # has is not yet acknowledged to its sender, so wait for every queue to be empty too.
        wait_for(lambda: len(listener.on("securitycam/events")) >= 4 * APPLIANCES, timeout=30)
        wait_for(lambda: not any(appliance.queued() for appliance in fleet), timeout=30)
        broker.stop()
        each_opens_and_closes_the_door(3)
        broker.start()
        each_opens_and_closes_the_door(2)
        events = [event_id for own in own_events for event_id in own]
        assert len(set(events)) == 7 * APPLIANCES

        wait_for(lambda: len(listener.on("securitycam/events")) >= 2 * len(events), timeout=60)
        time.sleep(1)  # anything extra (a duplicate) would arrive within this
        messages = listener.json_on("securitycam/events")
        seen = Counter((m["type"], m["after"]["id"]) for m in messages)
        assert seen == Counter({(kind, event_id): 1 for event_id in events for kind in ("new", "end")})
        # Each appliance's own messages arrive in its order.
        for own in own_events:
            assert [m["after"]["id"] for m in messages if m["type"] == "new" and m["after"]["id"] in own] == own

        # One appliance dies without a word: the broker says it is offline; the others stay online.
        fleet[0].proc.kill()
        listener.wait_last(f"securitycam/{nodes[0]}/available", "offline", timeout=30)
        assert all(listener.last(f"securitycam/{node}/available") == b"online" for node in nodes[1:])
    finally:
        listener.close()
