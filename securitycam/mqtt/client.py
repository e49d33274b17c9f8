"""The connection to the broker: paho-mqtt 2.x on its own network thread.

paho's ``loop_start`` thread connects, reconnects with back-off (1 s doubling to 60 s) and
resends QoS 1 messages that were in flight when the connection dropped, in order. Nothing here
blocks a caller: ``publish`` hands the message to paho's buffer and returns. The last will marks
this appliance ``offline`` on its availability topic if it vanishes; ``online`` is published on
every (re)connection, and :meth:`close` says ``offline`` itself before disconnecting.

A broker that is unreachable or refuses the login does not stop anything else: the link keeps
trying in the background and raises an ``mqtt`` health alert that clears once it is connected,
or once the link is closed (MQTT turned off).
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from securitycam.config.models import MqttSettings
from securitycam.mqtt.topics import OFFLINE, ONLINE
from securitycam.system.health import OK, WARN, HealthMonitor

log = logging.getLogger(__name__)

MIN_BACKOFF, MAX_BACKOFF = 1, 60
HEALTH_METRIC = "mqtt"


class BrokerLink:
    """One paho client for ``config``; ``on_connect()`` runs after every successful (re)connection."""

    def __init__(
        self,
        config: MqttSettings,
        client_id: str,
        availability_topics: list[str],
        health: HealthMonitor | None,
        on_connect: Callable[[], None],
        on_message: Callable[[str, bytes], None],
        on_published: Callable[[int], None],
        ca_file: Path | None = None,
    ) -> None:
        self.config = config
        # The first is the last will; all say online on connection and offline at a clean stop.
        self.availability_topics = availability_topics
        self._health = health
        self._on_connect = on_connect
        self._on_message = on_message
        self._on_published = on_published
        self._connected = threading.Event()
        self.last_error: str | None = None
        self._ca_file = ca_file
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
        if config.user:
            client.username_pw_set(config.user, config.password)
        client.will_set(availability_topics[0], OFFLINE, qos=1, retain=True)
        client.reconnect_delay_set(MIN_BACKOFF, MAX_BACKOFF)
        # paho keeps at most this many QoS 1 messages unacknowledged; the rest wait in its queue.
        client.max_inflight_messages_set(50)
        client.on_connect = self._connected_cb
        client.on_connect_fail = self._connect_failed_cb
        client.on_disconnect = self._disconnected_cb
        client.on_message = self._message_cb
        client.on_publish = self._published_cb
        self._client = client

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def start(self) -> None:
        if self.config.tls:
            try:
                self._client.tls_set(ca_certs=str(self._ca_file) if self._ca_file else None,
                                     cert_reqs=ssl.CERT_REQUIRED)
            except (OSError, ssl.SSLError) as exc:
                self._problem(f"TLS set-up failed ({exc}); not connecting")
                return
            self._client.tls_insecure_set(self.config.tls_insecure)
        # connect_async never blocks (no DNS lookup here); the loop thread connects and retries.
        self._client.connect_async(self.config.host, self.config.port, keepalive=60)
        self._client.loop_start()

    def close(self) -> None:
        if self.connected:
            # A clean stop says offline itself (the broker sends no will after DISCONNECT).
            sent = [self._client.publish(topic, OFFLINE, qos=1, retain=True) for topic in self.availability_topics]
            for info in sent:
                with contextlib.suppress(RuntimeError, ValueError):
                    info.wait_for_publish(timeout=2)
        self._client.disconnect()
        self._client.loop_stop()
        self._connected.clear()
        # A link that is closed (MQTT turned off, the appliance stopping) has nothing wrong with it:
        # its alert ends, with a "back to normal". paho's thread is gone, so none comes after this.
        if self._health is not None:
            self._health.set_alert(HEALTH_METRIC, OK, "")

    def publish(self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False) -> int:
        """Hand a message to paho; returns its message id (acknowledged later through ``on_published``)."""
        return self._client.publish(topic, payload, qos=qos, retain=retain).mid

    def subscribe(self, topics: list[str]) -> None:
        if topics:
            self._client.subscribe([(topic, 1) for topic in topics])

    # -- paho callbacks (its network thread) ------------------------------------------------------
    def _connected_cb(self, client: paho.Client, userdata: object, flags: object, reason: ReasonCode,
                      properties: object) -> None:
        if reason.is_failure:
            self._problem(f"broker {self._where()} refused the connection: {reason}")
            return
        log.info("MQTT connected to %s", self._where())
        self.last_error = None
        self._connected.set()
        if self._health is not None:
            self._health.set_alert(HEALTH_METRIC, OK, "")
        for topic in self.availability_topics:
            client.publish(topic, ONLINE, qos=1, retain=True)
        try:
            self._on_connect()
        except Exception:
            log.exception("MQTT on-connect work failed")

    def _connect_failed_cb(self, client: paho.Client, userdata: object) -> None:
        self._problem(f"cannot reach broker {self._where()}")

    def _disconnected_cb(self, client: paho.Client, userdata: object, flags: object, reason: ReasonCode,
                         properties: object) -> None:
        was_connected = self._connected.is_set()
        self._connected.clear()
        if was_connected and reason.is_failure:
            self._problem(f"lost broker {self._where()}: {reason}")

    def _message_cb(self, client: paho.Client, userdata: object, message: paho.MQTTMessage) -> None:
        try:
            self._on_message(message.topic, message.payload)
        except Exception:
            log.exception("MQTT message on %s failed", message.topic)

    def _published_cb(self, client: paho.Client, userdata: object, mid: int, reason: ReasonCode,
                      properties: object) -> None:
        self._on_published(mid)

    def _problem(self, message: str) -> None:
        if message != self.last_error:
            log.warning("MQTT: %s; retrying in the background", message)
        self.last_error = message
        if self._health is not None:
            self._health.set_alert(HEALTH_METRIC, WARN, message)

    def _where(self) -> str:
        return f"{self.config.host}:{self.config.port}"
