"""A real mosquitto on 127.0.0.1 for the tests, and a paho subscriber that records what it hears.

The broker keeps its state in a persistence file (like a real installation) so a stop and start
behaves as a broker restart does: persistent sessions and retained messages survive it.
"""

from __future__ import annotations

import getpass
import json
import shutil
import socket
import subprocess
import threading
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from bench.local_server import free_port
from tests.waiting import wait_for

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


class Broker:
    def __init__(self, directory: Path, users: dict[str, str] | None = None,
                 tls: tuple[Path, Path] | None = None) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        lines = [
            f"listener {self.port} 127.0.0.1",
            "persistence true",
            f"persistence_location {self.dir}/",
            f"log_dest file {self.dir / 'mosquitto.log'}",
            # Run as whoever runs the tests (as root, mosquitto would switch to its own user).
            f"user {getpass.getuser()}",
        ]
        if tls:
            lines += [f"certfile {tls[0]}", f"keyfile {tls[1]}"]
        if users:
            password_file = self.dir / "passwords"
            password_file.touch(mode=0o600)
            for user, password in users.items():
                subprocess.run(["mosquitto_passwd", "-b", str(password_file), user, password], check=True)
            lines += ["allow_anonymous false", f"password_file {password_file}"]
        else:
            lines.append("allow_anonymous true")
        self.conf = self.dir / "mosquitto.conf"
        self.conf.write_text("\n".join(lines) + "\n")

    def start(self) -> None:
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)

        def listening() -> bool:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return True
            except OSError:
                assert self.process is not None and self.process.poll() is None, "mosquitto exited"
                return False

        wait_for(listening)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


class Listener:
    """A subscriber: every message it gets, in order, as (topic, payload bytes, retain).

    The broker's own second delivery of a message to us is left out of ``messages`` (kept in
    ``redeliveries``): stopped after our client had a QoS 1 message but before it had our PUBACK, the
    broker sends it again with the DUP flag once we reconnect. That is the broker's "at least once"
    towards us, not a message the appliance sent twice (a publisher's resend reaches us without DUP).
    """

    def __init__(self, broker: Broker, topics: list[str], client_id: str = "test-listener",
                 persistent: bool = False) -> None:
        self.messages: list[tuple[str, bytes, bool]] = []
        self.redeliveries: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self._topics = topics
        # A persistent session (clean_session False, QoS 1) keeps the broker queueing for us while we
        # are away, as Home Assistant's does.
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=not persistent)
        self.client.on_connect = self._connected
        self.client.on_message = self._message
        self.client.on_subscribe = lambda *a: self._subscribed.set()
        self.client.reconnect_delay_set(0.1, 0.5)
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()
        wait_for(self._subscribed.is_set)

    def _connected(self, client: paho.Client, userdata: object, flags: object, reason: object,
                   properties: object) -> None:
        client.subscribe([(topic, 1) for topic in self._topics])

    def _message(self, client: paho.Client, userdata: object, message: paho.MQTTMessage) -> None:
        topic, payload = message.topic, bytes(message.payload)
        with self._lock:
            if message.dup and any(t == topic and p == payload for t, p, _ in self.messages):
                self.redeliveries.append((topic, payload))
            else:
                self.messages.append((topic, payload, bool(message.retain)))

    def on(self, topic: str) -> list[bytes]:
        with self._lock:
            return [payload for t, payload, _ in self.messages if t == topic]

    def json_on(self, topic: str) -> list[Any]:
        return [json.loads(payload) for payload in self.on(topic) if payload]

    def last(self, topic: str) -> bytes | None:
        found = self.on(topic)
        return found[-1] if found else None

    def wait_last(self, topic: str, payload: bytes | str, timeout: float = 10.0) -> None:
        expected = payload.encode() if isinstance(payload, str) else payload
        wait_for(lambda: self.last(topic) == expected, timeout)

    def publish(self, topic: str, payload: str, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
