"""The MQTT publisher: what happens in the appliance, as Frigate's topics and Home Assistant entities.

Three threads, none of them on a hot path of the rest of the appliance:

- ``mqtt-bus`` reads the event bus (like an SSE client) and hands each message to the worker;
  event-store listeners (open/end) do the same from the caller's thread, which costs a queue put.
- ``mqtt`` (the worker) turns them into messages: retained state goes straight to the link (and is
  remembered, to be published again on every reconnection); event and review messages go into the
  on-disk :class:`~securitycam.mqtt.outbox.Outbox` and from there, in order, to the link, and are
  deleted when the broker acknowledges them. Commands from the broker run here too.
- paho's network thread (:class:`~securitycam.mqtt.client.BrokerLink`): connects, reconnects with
  back-off, raises the ``mqtt`` health alert while the broker is away or refuses the login (cleared
  when the session ends: MQTT turned off, or the appliance stopping).

Events: detection's objects come from its ``events`` bus messages (Frigate's own payloads, with
the tracker's box and region); every other event (sensor, manual, API, motion) from the events
store, which tells listeners when one opens and ends; changes in between (a snapshot, a sub
label) are found by re-reading the events still open once a second, and sent as ``update``. The
per-label object counts (``<camera>/<label>``) and the best picture of each label
(``<camera>/<label>/snapshot``) follow the object messages. Detection's ``reviews`` messages go to
``<prefix>/reviews``.

Detection's ``motion`` messages (``{"camera", "active"}``) give ``<prefix>/<camera>/motion``
``ON``/``OFF`` (retained; ``OFF`` until a pipeline says otherwise); ``tracked_object_update``
messages (Frigate's payload, e.g. a sub label set through the API) go to
``<prefix>/tracked_object_update`` (QoS 1, queued).
"""

from __future__ import annotations

import json
import logging
import queue
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from securitycam.bus import (
    MOTION,
    OBJECT_EVENTS,
    PRESENCE_CHANGE,
    RECORDING_STATE,
    REVIEWS,
    SENSOR_STATE,
    SYSTEM_ALERT,
    TRACKED_OBJECT_UPDATE,
    BusEvent,
    TooManySubscribers,
)
from securitycam.config.models import MqttSettings, Settings
from securitycam.mqtt import discovery, frigate
from securitycam.mqtt.outbox import Outbox
from securitycam.mqtt.topics import CAMERA_SWITCHES, OFF, ON, Topics, slug
from securitycam.recorder.service import RecorderError
from securitycam.store.events import Event
from securitycam.system.health import OK, WARN

if TYPE_CHECKING:
    from securitycam.appliance import Appliance
    from securitycam.mqtt.client import BrokerLink

log = logging.getLogger(__name__)

# Events of this source are sent from detection's own messages, not from the events store.
OBJECT_SOURCE = "object"
# Frigate's camera switches that are camera settings (section, field); `recordings` is not one:
# the recorder always records, so that switch is only remembered.
CAMERA_SETTING_SWITCHES = {"detect": "detect", "motion": "motion", "snapshots": "snapshots"}

OUTBOX_FILE = "mqtt-outbox.db"
QUEUE_ALERT = "mqtt_queue"
# Queued messages handed to paho at once (the rest wait on disk).
WINDOW = 100
UPDATE_POLL_SECONDS = 1.0
RESTART_COMMAND = ["systemctl", "restart", "securitycam.service"]
PRESS = "PRESS"
_EVENTS = ("event_open", "event_end")


def _json(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), default=str)


class MqttService:
    """Started and stopped with the appliance; does nothing while ``MQTT.enabled`` is off."""

    def __init__(self, appliance: Appliance) -> None:
        self.app = appliance
        self.outbox: Outbox | None = None
        self.link: BrokerLink | None = None
        self.topics: Topics | None = None
        self._inbox: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._retained: dict[str, bytes | str] = {}
        self._handed: dict[int, int] = {}  # paho message id -> outbox row id
        self._acked: deque[int] = deque()  # acknowledged message ids, not yet deleted from the queue
        self._last_handed = 0
        self._open_events: dict[str, dict[str, Any]] = {}
        # Detection's objects being tracked, per (camera, label); the snapshot files sent last.
        self._objects: dict[tuple[str, str], set[str]] = {}
        self._snapshots_sent: dict[tuple[str, str], tuple[str, float]] = {}
        self._running = False
        self._holding = False
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._started = time.time()
        self._next_poll = 0.0
        self._next_stats = 0.0
        self._next_frame = 0.0
        appliance.events.on_open(lambda event: self._submit("event_open", event))
        appliance.events.on_end(lambda event: self._submit("event_end", event))
        appliance.settings.on_change(self._settings_changed)

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        self._stopping.clear()
        if self.app.settings.get().MQTT.enabled:
            self._start_session()

    def stop(self) -> None:
        self._stopping.set()
        self._stop_session()

    def _start_session(self) -> None:
        with self._lock:
            if self._running:
                return
            config = self._config_with_node_id()
            self.topics = Topics(config.topic_prefix, config.node_id, config.discovery_prefix)
            self.outbox = Outbox(self.app.paths.root / OUTBOX_FILE, config.queue_limit)
            self._handed.clear()
            self._acked.clear()
            self._last_handed = 0
            self._retained.clear()
            self._open_events = {e.id: frigate.event_object(e) for e in self.app.events.list(in_progress=True)
                                 if e.source != OBJECT_SOURCE}
            self._objects.clear()
            self._snapshots_sent.clear()
            self._forget_old_link()
            # paho is imported only by an appliance that uses MQTT (it costs start-up time on a Pi).
            from securitycam.mqtt.client import BrokerLink

            self.link = BrokerLink(
                config, config.client_id or config.node_id,
                [self.topics.available, self.topics.frigate_available], self.app.health,
                on_connect=lambda: self._submit("connected", None),
                on_message=lambda topic, payload: self._submit("command", (topic, payload)),
                on_published=self._published,
                ca_file=self.app.paths.settings_dir / config.tls_ca_file if config.tls_ca_file else None,
            )
            self._running = True
            self._threads = [
                threading.Thread(target=self._work, name="mqtt", daemon=True),
                threading.Thread(target=self._read_bus, name="mqtt-bus", daemon=True),
            ]
            for thread in self._threads:
                thread.start()
            self.link.start()
            log.info("MQTT publisher for %s:%s started (node id %s, %d queued)",
                     config.host, config.port, config.node_id, len(self.outbox))

    def _stop_session(self) -> None:
        with self._lock:
            if not self._running:
                return
            self._running = False
            self._inbox.put(("stop", None))
            for thread in self._threads:
                thread.join(timeout=10)
            self._threads = []
            assert self.link is not None and self.outbox is not None
            # The broker acknowledges in order: once close() has its `offline` acknowledged, every
            # earlier message's acknowledgement is in, and those messages leave the queue now.
            self.link.close()
            self._settle()
            self.outbox.close()
            # The next session counts dropped messages afresh; this one's alert would never clear.
            self.app.health.set_alert(QUEUE_ALERT, OK, "")

    def _config_with_node_id(self) -> MqttSettings:
        """The MQTT settings, after giving this appliance its node id on its first connection."""
        if not self.app.settings.get().MQTT.node_id:
            node_id = f"{slug(socket.gethostname())[:24]}_{secrets.token_hex(3)}"

            def name_node(draft: Settings) -> None:
                draft.MQTT.node_id = node_id

            self.app.settings.modify(name_node)
        return self.app.settings.get().MQTT

    def _settings_changed(self, old: Settings, new: Settings) -> None:
        # Naming the node on the first connection is no reason to reconnect.
        named = not old.MQTT.node_id and new.MQTT.model_copy(update={"node_id": ""}) == old.MQTT
        if old.MQTT == new.MQTT or named:
            if self._running and (old.Sensors != new.Sensors or old.Cameras != new.Cameras):
                self._submit("discovery", None)
                self._submit("refresh", None)
            return
        # A new broker, login or prefix: a new session. Not on this (a settings caller's) thread,
        # since the old session's threads may take a moment to finish.
        def restart() -> None:
            self._stop_session()
            # The settings as they are now: several quick changes start several of these threads.
            if self.app.settings.get().MQTT.enabled and not self._stopping.is_set():
                self._start_session()

        threading.Thread(target=restart, name="mqtt-restart", daemon=True).start()

    def _submit(self, kind: str, payload: Any) -> None:
        # Events that happen while a session restarts (a settings change) wait for the next one.
        if self._running or (kind in _EVENTS and self.app.settings.get().MQTT.enabled):
            self._inbox.put((kind, payload))

    def _forget_old_link(self) -> None:
        """Drop what the previous session's connection left in the inbox; keep the events."""
        kept = []
        while True:
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                break
            if item[0] in _EVENTS:
                kept.append(item)
        for item in kept:
            self._inbox.put(item)

    # -- public ------------------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self.link is not None and self.link.connected

    def camera_switch(self, camera: str, switch: str) -> bool:
        """A Frigate camera switch (``detect``, ``recordings``, ``snapshots``, ``motion``) as it stands."""
        if switch in CAMERA_SETTING_SWITCHES:
            found = next((c for c in self.app.settings.get().Cameras if c.name == camera), None)
            return found is not None and bool(getattr(found, CAMERA_SETTING_SWITCHES[switch]).enabled)
        switches = self.outbox.get_value("camera_switches", {}) if self.outbox is not None else {}
        return bool(switches.get(camera, {}).get(switch, True))

    # -- the bus reader ----------------------------------------------------------------------------
    def _read_bus(self) -> None:
        last_id: int | None = None
        crowded = False
        while self._running:
            # A subscriber too slow for the bus is dropped; subscribing again replays the ring.
            try:
                sub = self.app.bus.subscribe(last_id)
            except TooManySubscribers as exc:
                if not crowded:
                    log.warning("MQTT cannot follow the event bus until a live event stream ends: %s", exc)
                crowded = True
                self._stopping.wait(1.0)
                continue
            if crowded:  # what changed meanwhile is read from its owners instead
                crowded = False
                self._inbox.put(("refresh", None))
            try:
                while self._running:
                    item = sub.next(timeout=0.5)
                    if item is None:
                        break
                    if item is not False:
                        last_id = item.id
                        self._inbox.put(("bus", item))
            finally:
                sub.close()

    # -- the worker --------------------------------------------------------------------------------
    def _work(self) -> None:
        handlers: dict[str, Callable[[Any], None]] = {
            "bus": self._on_bus, "event_open": self._on_event_open, "event_end": self._on_event_end,
            "connected": self._on_connected, "command": self._on_command,
            "discovery": lambda _: self._publish_discovery(),
            "refresh": lambda _: self._read_state(),
        }
        while True:
            timeout = max(0.05, min(self._next_poll, self._next_stats, self._next_frame) - time.monotonic())
            try:
                kind, payload = self._inbox.get(timeout=timeout)
            except queue.Empty:
                kind, payload = "tick", None
            while kind != "stop":
                try:
                    if kind in handlers:
                        handlers[kind](payload)
                except Exception:
                    log.exception("MQTT: handling %s failed", kind)
                try:
                    kind, payload = self._inbox.get_nowait()
                except queue.Empty:
                    break
            if kind == "stop":
                return
            try:
                self._settle()
                self._pump()
                self._periodic()
            except Exception:
                log.exception("MQTT worker step failed")

    def _published(self, mid: int) -> None:
        """paho's thread: the broker acknowledged message ``mid``."""
        self._acked.append(mid)
        self._inbox.put(("acked", None))

    def _settle(self) -> None:
        """Delete the acknowledged messages from the queue."""
        assert self.outbox is not None
        mids = []
        while self._acked:
            mids.append(self._acked.popleft())
        self.outbox.delete([row for mid in mids if (row := self._handed.pop(mid, None)) is not None])
        if mids and self.outbox.dropped and not len(self.outbox):
            self.outbox.dropped = 0
            self.app.health.set_alert(QUEUE_ALERT, OK, "")

    def _pump(self) -> None:
        """Hand queued messages to the link, oldest first, while it is connected."""
        assert self.outbox is not None and self.link is not None
        while self.link.connected and len(self._handed) < WINDOW:
            batch = self.outbox.after(self._last_handed, WINDOW - len(self._handed))
            if not batch:
                return
            for message in batch:
                mid = self.link.publish(message.topic, message.payload, message.qos, message.retain)
                self._handed[mid] = message.id
                self._last_handed = message.id

    def _queue(self, topic: str, payload: dict[str, Any]) -> None:
        assert self.outbox is not None
        dropped = self.outbox.dropped
        self.outbox.put(topic, _json(payload), qos=1, keep_after=self._last_handed)
        if self.outbox.dropped != dropped and (dropped == 0 or dropped // 1000 != self.outbox.dropped // 1000):
            message = (f"MQTT queue full ({self.outbox.limit} messages) while the broker is away: "
                       f"{self.outbox.dropped} oldest dropped")
            log.warning(message)
            self.app.health.set_alert(QUEUE_ALERT, WARN, message)

    def _state(self, topic: str, payload: bytes | str, force: bool = False) -> None:
        """Publish retained state (only when it changed), remembered for the next reconnection."""
        if not force and self._retained.get(topic) == payload:
            return
        self._retained[topic] = payload
        if not self._holding and self.link is not None and self.link.connected:
            self.link.publish(topic, payload, qos=1, retain=True)

    def _clear(self, topic: str) -> None:
        self._retained.pop(topic, None)
        if self.link is not None and self.link.connected:
            self.link.publish(topic, b"", qos=1, retain=True)

    # -- connection --------------------------------------------------------------------------------
    def _on_connected(self, _: Any) -> None:
        assert self.link is not None and self.topics is not None
        # Queued messages paho held when the connection dropped are resent by paho itself.
        self.link.subscribe(self.topics.subscriptions())
        self._refresh_state()
        self._publish_everything()
        self._next_stats = 0.0
        self._next_frame = 0.0

    def _publish_everything(self) -> None:
        """Discovery configs first (Home Assistant creates the entities), then every remembered state."""
        assert self.topics is not None
        self._publish_discovery()
        configs = f"{self.topics.discovery_prefix}/"
        for topic, payload in list(self._retained.items()):
            if not topic.startswith(configs):
                self._state(topic, payload, force=True)

    def _refresh_state(self) -> None:
        """Read every piece of state from its owner (it may have changed while we were away).

        Only remembered here: the caller publishes everything remembered once.
        """
        self._holding = True
        try:
            self._read_state()
        finally:
            self._holding = False

    def _read_state(self) -> None:
        topics = self.topics
        assert topics is not None
        settings = self.app.settings.get()
        for status in self.app.sensors.statuses():
            self._sensor_state(status)
        self._state(topics.armed, ON if self._armed() else OFF)
        self._state(topics.anyone_home, ON if self.app.presence.anyone_home() else OFF)
        for device in self.app.presence.devices():
            self._state(topics.presence_device(device["address"]), "home" if device["present"] else "not_home")
        for camera in settings.Cameras:
            self._state(topics.recording(camera.name), ON if self.app.recorder.recording(camera.name) else OFF)
            self._state(topics.manual_recording(camera.name),
                        ON if self.app.recorder.manual_event(camera.name) else OFF)
            for switch in CAMERA_SWITCHES:
                self._state(topics.camera_switch_state(camera.name, switch),
                            ON if self.camera_switch(camera.name, switch) else OFF)
            for label in settings.MQTT.count_labels:
                self._retained.setdefault(topics.camera(camera.name, label), "0")
            if topics.camera(camera.name, "motion") not in self._retained:  # detection tells when it changes
                self._state(topics.camera(camera.name, "motion"), OFF)

    def _publish_discovery(self) -> None:
        assert self.outbox is not None and self.topics is not None and self.link is not None
        config = self.app.settings.get()
        if not config.MQTT.discovery:
            return
        wanted = {
            self.topics.discovery(entity.component, entity.object_id): _json(entity.config)
            for entity in discovery.entities(config, self.topics, self.app.presence.devices(),
                                             f"securitycam {config.MQTT.node_id}")
        }
        published = set(self.outbox.get_value("discovery_topics", []))
        for topic in sorted(published - wanted.keys()):
            self._clear(topic)
        for topic, payload in wanted.items():
            self._state(topic, payload, force=True)
        self.outbox.set_value("discovery_topics", sorted(wanted))

    # -- events ------------------------------------------------------------------------------------
    def _on_event_open(self, event: Event) -> None:
        assert self.topics is not None
        if event.source == OBJECT_SOURCE:
            return
        after = frigate.event_object(event)
        self._open_events[event.id] = after
        self._queue(self.topics.events, frigate.event_message(frigate.NEW, after, after))

    def _on_event_end(self, event: Event) -> None:
        assert self.topics is not None
        if event.source == OBJECT_SOURCE:
            return
        after = frigate.event_object(event)
        before = self._open_events.pop(event.id, after)
        self._queue(self.topics.events, frigate.event_message(frigate.END, before, after))

    def _poll_open_events(self) -> None:
        assert self.topics is not None
        for event_id, before in list(self._open_events.items()):
            event = self.app.events.get(event_id)
            # An ended event is sent by the end listener (already in the inbox).
            if event is None or not event.in_progress:
                continue
            after = frigate.event_object(event)
            if after != before:
                self._open_events[event_id] = after
                self._queue(self.topics.events, frigate.event_message(frigate.UPDATE, before, after))

    # -- the bus -----------------------------------------------------------------------------------
    def _on_bus(self, event: BusEvent) -> None:
        topics = self.topics
        assert topics is not None
        data = event.data
        if event.name == SENSOR_STATE:
            self._sensor_state(data)
        elif event.name == RECORDING_STATE:
            camera = str(data.get("camera"))
            self._state(topics.recording(camera), ON if data.get("recording") else OFF)
            self._state(topics.manual_recording(camera), ON if self.app.recorder.manual_event(camera) else OFF)
        elif event.name == PRESENCE_CHANGE:
            self._state(topics.anyone_home, ON if data.get("anyone_home") else OFF)
            if "address" in data:
                self._state(topics.presence_device(data["address"]), "home" if data.get("present") else "not_home")
                self._publish_discovery_if_new_device(data["address"])
        elif event.name == SYSTEM_ALERT:
            self._state(topics.health, _json({**data.get("values", {}), "overall": data.get("overall"),
                                              "alerts": data.get("alerts", {})}))
        elif event.name == OBJECT_EVENTS:
            self._queue(topics.events, data)
            self._object_changed(data)
        elif event.name == REVIEWS:
            self._queue(topics.reviews, data)
        elif event.name == TRACKED_OBJECT_UPDATE:
            self._queue(topics.tracked_object_update, data)
        elif event.name == MOTION:
            self._state(topics.camera(str(data["camera"]), "motion"), ON if data.get("active") else OFF)

    def _object_changed(self, message: dict[str, Any]) -> None:
        """Frigate's per-label count and best snapshot, from one of detection's object messages."""
        topics = self.topics
        assert topics is not None
        after = message.get("after") or {}
        camera, label, event_id = str(after.get("camera")), str(after.get("label")), str(after.get("id"))
        tracked = self._objects.setdefault((camera, label), set())
        if message.get("type") == "end" or after.get("false_positive"):
            tracked.discard(event_id)
        else:
            tracked.add(event_id)
        self._state(topics.camera(camera, label), str(len(tracked)))
        if after.get("has_snapshot") and not after.get("false_positive"):
            self._send_snapshot(camera, label, event_id)

    def _send_snapshot(self, camera: str, label: str, event_id: str) -> None:
        assert self.topics is not None
        event = self.app.events.get(event_id)
        path = ((event.data.get("snapshot") or {}).get("path") if event else None)
        if not path:
            return
        try:
            taken = Path(path).stat().st_mtime
            if self._snapshots_sent.get((camera, label)) == (path, taken):
                return
            picture = Path(path).read_bytes()
        except OSError:
            return
        self._snapshots_sent[(camera, label)] = (path, taken)
        self._state(self.topics.camera(camera, label, "snapshot"), picture)

    def _sensor_state(self, status: dict[str, Any]) -> None:
        topics = self.topics
        assert topics is not None
        sensor_id = str(status["id"])
        self._state(topics.armed, ON if self._armed() else OFF)
        if status.get("removed"):
            self._clear(topics.sensor_state(sensor_id))
            self._clear(topics.sensor_armed(sensor_id))
            return
        self._state(topics.sensor_state(sensor_id), ON if status.get("triggered") else OFF)
        self._state(topics.sensor_armed(sensor_id), ON if status.get("enabled") else OFF)

    def _publish_discovery_if_new_device(self, address: str) -> None:
        assert self.topics is not None
        topic = self.topics.discovery("device_tracker", f"tracker_{slug(address)}")
        if topic not in self._retained:
            self._publish_discovery()

    # -- periodic: event updates, stats, storage, health, latest frames ----------------------------
    def _periodic(self) -> None:
        assert self.link is not None
        now = time.monotonic()
        config = self.app.settings.get().MQTT
        if now >= self._next_poll:
            self._next_poll = now + UPDATE_POLL_SECONDS
            if self._open_events:
                self._poll_open_events()
        if not self.link.connected:
            return
        if now >= self._next_stats:
            self._next_stats = now + config.stats_interval
            self._publish_stats()
        if config.frame_interval and now >= self._next_frame:
            self._next_frame = now + config.frame_interval
            self._publish_frames()
        elif not config.frame_interval:
            self._next_frame = now + 3600

    def _publish_stats(self) -> None:
        topics = self.topics
        assert topics is not None and self.link is not None
        state = self.app.health.check()
        self._state(topics.health, _json({**state["values"], "overall": state["overall"], "alerts": state["alerts"]}))
        usage = self.app.janitor.usage()
        queued = len(self.outbox) if self.outbox is not None else 0
        self._state(topics.storage, _json({"percent": usage.percent, "total": usage.total, "used": usage.used,
                                           "free": usage.free, "queued_mqtt_messages": queued}))
        settings = self.app.settings.get()
        running = {camera["name"]: camera for camera in self.app.recorder.status()["cameras"]}
        cameras = []
        for camera in settings.Cameras:
            pid = running.get(camera.name, {}).get("pid")
            cameras.append({"name": camera.name, "pid": pid, "fps": float(camera.fps) if pid else 0.0,
                            "detect": self.camera_switch(camera.name, "detect")})
        storage = {str(self.app.paths.recordings): {"total": usage.total // 2**20, "used": usage.used // 2**20,
                                                     "free": usage.free // 2**20, "mount_type": ""}}
        self.link.publish(topics.stats, _json(frigate.stats_message(
            self._started, cameras, storage, state["values"].get("cpu_temp"))), qos=0)

    def _publish_frames(self) -> None:
        assert self.topics is not None
        for name, recorder in list(self.app.recorder.cameras.items()):
            frame = recorder.latest_frame()
            if frame is not None:
                self._state(self.topics.latest_frame(name), frame)

    # -- commands ----------------------------------------------------------------------------------
    def _on_command(self, message: tuple[str, bytes]) -> None:
        topic, raw = message
        topics = self.topics
        assert topics is not None
        payload = raw.decode("utf-8", "replace").strip()
        if topic == topics.ha_status:
            if payload == "online":  # Home Assistant restarted: it wants every config and state again
                self._publish_everything()
            return
        own = topics.own("")
        if topic.startswith(own):
            self._own_command(topic[len(own):].removesuffix("/set").split("/"), payload)
            return
        parts = topic[len(topics.prefix) + 1:].split("/")
        if len(parts) == 3 and parts[1] in CAMERA_SWITCHES:
            self._camera_switch_command(parts[0], parts[1], payload)

    def _on_off(self, topic: str, payload: str) -> bool | None:
        if payload.upper() in (ON, OFF):
            return payload.upper() == ON
        log.warning("MQTT command on %s: %r is not ON or OFF; ignored", topic, payload)
        return None

    def _camera_switch_command(self, camera: str, switch: str, payload: str) -> None:
        assert self.topics is not None and self.outbox is not None
        if camera not in {c.name for c in self.app.settings.get().Cameras}:
            log.warning("MQTT command for unknown camera %r ignored", camera)
            return
        value = self._on_off(self.topics.camera_switch_set(camera, switch), payload)
        if value is not None and value != self.camera_switch(camera, switch):
            if switch in CAMERA_SETTING_SWITCHES:
                self._set_camera_switch(camera, CAMERA_SETTING_SWITCHES[switch], value)
            else:
                switches = self.outbox.get_value("camera_switches", {})
                switches.setdefault(camera, {})[switch] = value
                self.outbox.set_value("camera_switches", switches)
        # Echoed either way: a refused command shows the state that stands.
        self._state(self.topics.camera_switch_state(camera, switch),
                    ON if self.camera_switch(camera, switch) else OFF, force=True)

    def _set_camera_switch(self, camera: str, section: str, value: bool) -> None:
        def change(draft: Settings) -> None:
            for settings in draft.Cameras:
                if settings.name == camera:
                    getattr(settings, section).enabled = value

        self.app.settings.modify(change)

    def _own_command(self, path: list[str], payload: str) -> None:
        topics = self.topics
        assert topics is not None
        cameras = {c.name for c in self.app.settings.get().Cameras}
        if path == ["armed"]:
            if (value := self._on_off(topics.armed, payload)) is not None:
                self._arm(None, value)
            self._state(topics.armed, ON if self._armed() else OFF, force=True)
        elif len(path) == 3 and path[0] == "sensor" and path[2] == "armed":
            known = {s.id for s in self.app.settings.get().Sensors}
            if path[1] in known and (value := self._on_off(topics.sensor_armed(path[1]), payload)) is not None:
                self._arm(path[1], value)
        elif len(path) == 2 and path[0] in cameras and path[1] == "manual_recording":
            if (value := self._on_off(topics.manual_recording(path[0]), payload)) is not None:
                self._manual_recording(path[0], value)
            self._state(topics.manual_recording(path[0]), ON if self.app.recorder.manual_event(path[0]) else OFF,
                        force=True)
        elif len(path) == 2 and path[0] in cameras and path[1] == "snapshot" and payload == PRESS:
            self._snapshot(path[0])
        elif path == ["restart"] and payload == PRESS:
            log.warning("restart asked over MQTT: running %s", " ".join(RESTART_COMMAND))
            self.app.runner.run(RESTART_COMMAND, timeout=30)
        else:
            log.warning("MQTT command %s %r not understood; ignored", "/".join(path), payload)

    def _armed(self) -> bool:
        return any(sensor.enabled for sensor in self.app.settings.get().Sensors)

    def _arm(self, sensor_id: str | None, value: bool) -> None:
        def change(draft: Settings) -> None:
            for sensor in draft.Sensors:
                if sensor_id is None or sensor.id == sensor_id:
                    sensor.enabled = value

        self.app.settings.modify(change)

    def _manual_recording(self, camera: str, value: bool) -> None:
        try:
            if value:
                self.app.recorder.start_manual(camera)
            else:
                self.app.recorder.stop_manual(camera)
        except RecorderError as exc:
            log.warning("MQTT manual recording %s on %s: %s", ON if value else OFF, camera, exc)

    def _snapshot(self, camera: str) -> None:
        try:
            self.app.recorder.snapshot(camera)
        except RecorderError as exc:
            log.warning("MQTT snapshot of %s: %s", camera, exc)
