"""MQTT: trigger-to-receipt latency, and the on-disk queue at 10,000 messages.

A real mosquitto on loopback (started here, as the tests start it), the whole appliance in this
process with the camera idle, and a paho subscriber with a persistent session, like Home Assistant.

1. Latency: for each of N mock-sensor triggers (``SensorManager.mock``, what ``POST
   /sensor/mock/trigger`` calls), the time from the call to the subscriber receiving (a) the
   binary sensor's ``ON`` and (b) Frigate's ``events`` ``new`` message (which goes through the
   SQLite outbox and waits for the broker's PUBACK before leaving the queue).
2. Queue: with the broker stopped, M events (2 messages each) are opened and ended; it prints the
   time per event on the trigger path, the queue's size on disk and the process's RSS; then the
   broker starts and it times the drain until the subscriber has every message, checking order
   and duplicates. With ``--overflow`` more messages than ``MQTT.queue_limit`` are queued, to show
   the oldest being dropped.

Run: ``python bench/mqtt_latency.py [--triggers 1000] [--queued 10000]``
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import paho.mqtt.client as paho
import psutil
from local_server import percentile
from paho.mqtt.enums import CallbackAPIVersion

from securitycam.app import create_app
from securitycam.appliance import Appliance, Hardware
from securitycam.bus import SENSOR_STATE
from securitycam.mqtt import MqttService
from securitycam.system.host import HostReader
from securitycam.system.runner import RecordingRunner
from tests.mqtt.broker import Broker, wait_for


class Receiver:
    """A persistent-session subscriber that timestamps what it gets."""

    def __init__(self, broker: Broker, topics: list[str]) -> None:
        self.arrivals: list[tuple[float, str, bytes]] = []
        self.changed = threading.Condition()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id="bench-receiver", clean_session=False)
        self.client.on_connect = lambda c, *a: c.subscribe([(t, 1) for t in topics])
        self.client.on_message = self._message
        self.client.reconnect_delay_set(0.1, 0.5)
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()

    def _message(self, client: paho.Client, userdata: object, message: paho.MQTTMessage) -> None:
        with self.changed:
            self.arrivals.append((time.perf_counter(), message.topic, bytes(message.payload)))
            self.changed.notify_all()

    def wait(self, predicate, timeout: float = 10.0) -> float:  # type: ignore[no-untyped-def]
        """Wait for an arrival matching ``predicate`` (from the newest back); its time."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for arrival in reversed(self.arrivals):
                    if predicate(arrival):
                        return arrival[0]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("message did not arrive")
                self.changed.wait(left)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def mqtt_service(appliance: Appliance) -> MqttService:
    return next(s for s in appliance.services if isinstance(s, MqttService))


def latency(appliance: Appliance, receiver: Receiver, node: str, triggers: int) -> None:
    state_topic = f"securitycam/{node}/sensor/sensor1/state"
    to_bus, to_state, to_event = [], [], []
    with appliance.bus.subscribe() as sub:
        for _ in range(triggers):
            start = time.perf_counter()
            appliance.sensors.mock(True)
            # The same message reaches the publisher's bus reader: the part of the latency not ours.
            while (item := sub.next(timeout=5)) and not (item.name == SENSOR_STATE and item.data["triggered"]):
                pass
            bus_at = time.perf_counter()
            event_id = appliance.sensors.status()["event_id"]  # type: ignore[index]
            state_at = receiver.wait(lambda a, t=start: a[1] == state_topic and a[2] == b"ON" and a[0] >= t)
            event_at = receiver.wait(lambda a, e=event_id: a[1] == "securitycam/events" and e.encode() in a[2])
            to_bus.append((bus_at - start) * 1000)
            to_state.append((state_at - start) * 1000)
            to_event.append((event_at - start) * 1000)
            appliance.sensors.mock(False)
            receiver.wait(lambda a, e=event_id: a[1] == "securitycam/events" and e.encode() in a[2]
                          and b'"type":"end"' in a[2])
            while sub.next(timeout=0):  # what the release published
                pass
    for name, values in (("bus (in process, for reference)", to_bus), ("binary_sensor ON", to_state),
                         ("events new (QoS 1, via the outbox)", to_event)):
        print(f"trigger -> {name}: median {statistics.median(values):.2f} ms, p99 {percentile(values, 0.99):.2f} ms, "
              f"max {max(values):.2f} ms over {len(values)}")


def queue(appliance: Appliance, receiver: Receiver, broker: Broker, events: int) -> None:
    service = mqtt_service(appliance)
    assert service.outbox is not None
    process = psutil.Process()
    topics = ("securitycam/events", "securitycam/reviews")
    before = len([a for a in receiver.arrivals if a[1] in topics])
    broker.stop()
    wait_for(lambda: not service.connected)
    rss_before = process.memory_info().rss
    ids = []
    started = time.perf_counter()
    for _ in range(events):
        event = appliance.events.open("cam", "api", "api")
        appliance.events.end(event.id)
        ids.append(event.id)
    trigger_path = (time.perf_counter() - started) / events * 1000
    wait_for(lambda: len(service.outbox) >= min(2 * events, service.outbox.limit), timeout=120)  # type: ignore[union-attr]
    queued_at = time.perf_counter()
    queued = len(service.outbox)
    print(f"broker down, {events} events opened and ended ({2 * events} messages): {trigger_path:.3f} ms an event "
          f"on the caller's side; queued {queued} (limit {service.outbox.limit}, dropped {service.outbox.dropped}) "
          f"in {queued_at - started:.2f} s; queue on disk {service.outbox.size_bytes() / 2**20:.1f} MiB; "
          f"RSS +{(process.memory_info().rss - rss_before) / 2**20:.1f} MiB")
    print(f"queue alert: {appliance.health.check()['values'].get('mqtt_queue', 'none')}")
    broker.start()
    restarted = time.perf_counter()
    wait_for(lambda: len(service.outbox) == 0, timeout=300)  # type: ignore[union-attr]
    wait_for(lambda: len([a for a in receiver.arrivals if a[1] in topics]) - before >= queued, timeout=60)
    drained = time.perf_counter() - restarted
    got = [json.loads(a[2]) for a in receiver.arrivals if a[1] in topics][before:]
    sent = [(kind, event_id) for event_id in ids for kind in ("new", "end")]
    received = [(m["type"], m["after"]["id"]) for m in got if m["after"]["id"] in set(ids)]
    print(f"broker back: {len(got)} messages received in {drained:.2f} s ({len(got) / drained:.0f}/s); "
          f"events in order and once each: {received == sent[len(sent) - len(received):]} "
          f"({len(received)} of {len(sent)}); queue left {len(service.outbox)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triggers", type=int, default=1000)
    parser.add_argument("--queued", type=int, default=10000, help="messages to queue while the broker is down")
    parser.add_argument("--overflow", action="store_true", help="queue 20%% more than the queue's limit")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        broker = Broker(root / "broker")
        broker.start()
        (root / "sys").mkdir()
        os.environ.setdefault("SECURITYCAM_PASSWORD", "bench")
        app = create_app(root / "data", Hardware(runner=RecordingRunner(), host=HostReader(root / "sys"),
                                                 run_cameras=False))
        appliance: Appliance = app.extensions["securitycam"]
        receiver = Receiver(broker, ["securitycam/events", "securitycam/reviews", "securitycam/+/sensor/+/state"])
        try:
            appliance.settings.update({
                "Sensors": [{"id": "sensor1", "type": "mock", "gpio": None, "enabled": True, "hold_seconds": 0}],
                "MQTT": {"enabled": True, "host": "127.0.0.1", "port": broker.port, "queue_limit": args.queued},
            })
            service = mqtt_service(appliance)
            wait_for(lambda: service.connected)
            node = appliance.settings.get().MQTT.node_id
            latency(appliance, receiver, node, args.triggers)
            queue(appliance, receiver, broker, (args.queued * 6 // 5 if args.overflow else args.queued) // 2)
        finally:
            receiver.close()
            appliance.stop()
            broker.stop()


if __name__ == "__main__":
    main()
