import json
import threading
import time

import pytest
import requests

from securitycam.bus import EventBus, TooManySubscribers


def read_sse(response, count=0, timeout=30.0, comments_wanted=0):
    """Named events (dicts with id/event/data) and comment lines, until ``count`` events and
    ``comments_wanted`` comments have arrived."""
    events, comments, current = [], [], {}
    deadline = time.monotonic() + timeout
    for raw in response.iter_lines(decode_unicode=True):
        if time.monotonic() > deadline:
            break
        if raw == "":
            if "event" in current:
                events.append(current)
            current = {}
        elif raw.startswith(":"):
            comments.append(raw)
        else:
            key, _, value = raw.partition(": ")
            current[key] = value
        if len(events) >= count and len(comments) >= comments_wanted:
            break
    return events, comments



@pytest.fixture
def sse(live_server, token):
    opened = []

    def open_stream(**headers):
        response = requests.get(f"{live_server.url}/events?token={token}", stream=True, timeout=30, headers=headers)
        opened.append(response)
        return response

    yield open_stream
    for response in opened:
        response.close()


def wait_for_subscribers(bus, count):
    deadline = time.monotonic() + 30
    while bus.subscriber_count < count and time.monotonic() < deadline:
        time.sleep(0.01)
    assert bus.subscriber_count >= count


def test_stream_needs_a_token(live_server):
    response = requests.get(f"{live_server.url}/events", timeout=5)
    assert response.status_code == 401


def test_published_event_reaches_a_client_with_increasing_ids(sse, appliance):
    response = sse()
    assert response.headers["Content-Type"].startswith("text/event-stream")
    wait_for_subscribers(appliance.bus, 1)
    appliance.bus.publish("sensor_state", {"triggered": True})
    appliance.bus.publish("archive_updated", {"path": "x.mp4"})
    named, _ = read_sse(response, 2)
    assert [e["event"] for e in named] == ["sensor_state", "archive_updated"]
    assert named[0]["data"] == '{"triggered":true}'
    assert int(named[1]["id"]) == int(named[0]["id"]) + 1


def test_reconnect_with_last_event_id_replays_what_was_missed(sse, appliance):
    first = appliance.bus.publish("sensor_state", {"n": 1})
    appliance.bus.publish("sensor_state", {"n": 2})
    appliance.bus.publish("recording_state", {"n": 3})
    response = sse(**{"Last-Event-ID": str(first.id)})
    replayed, _ = read_sse(response, 2)
    assert [e["data"] for e in replayed] == ['{"n":2}', '{"n":3}']


def test_heartbeat_comment_keeps_an_idle_stream_alive(sse, app):
    response = sse()
    # Well before the default 15 s heartbeat, so it is the configured one; many of them on a loaded machine.
    _, comments = read_sse(response, comments_wanted=1, timeout=app.config["SSE_HEARTBEAT"] * 20)
    assert ": heartbeat" in comments


def test_bad_last_event_id(client):
    response = client.get("/events", headers={"Last-Event-ID": "abc"})
    assert response.status_code == 400 and response.json["field"] == "Last-Event-ID"


def test_a_slow_client_is_dropped_and_never_blocks_the_publisher():
    bus = EventBus(queue_size=10)
    slow = bus.subscribe()
    reading = bus.subscribe()
    received = []
    started = time.monotonic()
    for n in range(1000):
        bus.publish("system_info", {"n": n})
        received.append(reading.next(timeout=1).id)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0
    assert slow.dropped and not reading.dropped
    assert received == list(range(1, 1001))
    assert bus.subscriber_count == 1
    # The dropped client reads what it had queued, then its stream ends so it can reconnect.
    drained = [slow.next(timeout=0.1) for _ in range(11)]
    assert [e.id for e in drained[:10]] == list(range(1, 11))
    assert drained[10] is None


def test_subscribers_are_capped():
    bus = EventBus(max_subscribers=2)
    bus.subscribe()
    bus.subscribe()
    with pytest.raises(TooManySubscribers):
        bus.subscribe()


def test_too_many_streams_is_503_not_a_hang(app, client):
    bus = app.extensions["securitycam"].bus
    held = [bus.subscribe() for _ in range(bus.max_subscribers - bus.subscriber_count)]
    response = client.get("/events")
    assert response.status_code == 503 and "Retry-After" in response.headers
    for sub in held:
        sub.close()


def test_at_the_cap_a_new_subscriber_evicts_streams_whose_client_is_gone():
    bus = EventBus(max_subscribers=1)
    gone = threading.Event()
    old = bus.subscribe(client_gone=gone.is_set)
    with pytest.raises(TooManySubscribers):
        bus.subscribe()
    gone.set()
    new = bus.subscribe()
    assert bus.subscriber_count == 1 and old.dropped
    assert old.next(timeout=1) is None  # its stream wakes and ends
    bus.publish("system_info", {})
    assert new.next(timeout=1).name == "system_info"


def test_a_stream_ends_and_frees_its_place_soon_after_its_client_is_gone():
    bus = EventBus()
    gone = threading.Event()
    sub = bus.subscribe(client_gone=gone.is_set)
    sent = []
    reader = threading.Thread(target=lambda: sent.extend(bus.stream(sub, heartbeat=15.0)))
    reader.start()
    gone.set()
    reader.join(timeout=10)  # before the 15 s heartbeat whose write would fail
    assert not reader.is_alive()
    assert bus.subscriber_count == 0 and sent == ["retry: 3000\n\n"]


def test_the_periodic_system_info_message_is_get_system_info_and_the_live_figures(sse, appliance, client):
    assert client.post("/night_mode", json={"mode": "schedule"}).status_code == 200
    response = sse()
    wait_for_subscribers(appliance.bus, 1)
    appliance.health.publish_snapshot(appliance.health.check())  # what the monitor does every 30 s
    current = {}
    for line in response.iter_lines(decode_unicode=True):
        if line == "" and current.get("event") == "system_info":
            break
        if line == "":
            current = {}
        elif not line.startswith(":"):
            key, _, value = line.partition(": ")
            current[key] = value
    pushed = json.loads(current["data"])
    asked = client.get("/system_info").json
    assert set(asked) <= set(pushed)
    assert pushed["night_mode"] == asked["night_mode"] and asked["night_mode"]["enabled"] is True
    assert pushed["storage_info_gb"]["total_gb"] == asked["storage_info_gb"]["total_gb"]
    # The dashboard's charts read the live figures by these names.
    assert pushed["cpu_temp"] == pushed["cpu_temp_celsius"]
    assert pushed["disk_percent"] == pushed["storage_info_gb"]["percent"]
    assert pushed["memory_percent"] == pushed["ram_usage_mb"]["percent"]
    assert pushed["overall"] == appliance.health.check()["overall"]
