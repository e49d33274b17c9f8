"""Web Push through HTTP: a browser's subscription whose endpoint is a push service on loopback
receives each new alert, encrypted as Web Push requires (RFC 8291), with a VAPID signature from
the key ``/api/notifications/pubkey`` gives; the test decrypts it. Failures are retried; a
subscription the push service says is gone is dropped."""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.recorder.conftest import wait_for


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


@dataclass
class PushService:
    """A push service on loopback: records every push; answers with the statuses queued per path."""

    url: str = ""
    received: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    answers: dict[str, list[int]] = field(default_factory=dict)


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            service.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            queued = service.answers.get(self.path, [])
            self.send_response(queued.pop(0) if queued else 201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    service.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield service
    server.shutdown()
    thread.join(timeout=5)


@dataclass
class Browser:
    """What a browser keeps for a push subscription: its ECDH key pair and auth secret."""

    endpoint: str
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    secret: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self) -> dict:
        public = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                    serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": b64url(public), "auth": b64url(self.secret)}}

    def decrypt(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.secret, version="aes128gcm"))


@pytest.fixture
def fast_retries(appliance):
    appliance.notifier._backoff = 0.05


def test_an_alert_reaches_the_subscription_encrypted_and_signed(client, viewer, appliance, push_service):
    public_key = viewer.get("/api/notifications/pubkey").json
    assert len(b64url_decode(public_key)) == 65
    browser = Browser(f"{push_service.url}/push/alice")
    registered = viewer.post("/api/notifications/register", json={"sub": browser.subscription()},
                             headers={"X-CSRF-Token": "1"})
    assert registered.json == {"success": True, "message": "Successfully saved token."}
    assert appliance.notifier.subscriptions("alice")[0]["endpoint"] == browser.endpoint

    event_id = client.post("/api/events/cam/doorbell/create", json={"duration": 5}).json["event_id"]
    wait_for(lambda: push_service.received)
    path, headers, body = push_service.received[0]
    assert path == "/push/alice" and headers["content-encoding"] == "aes128gcm"
    # aes128gcm's header: salt (16), record size (4), key id length (1), then the sender's ephemeral key.
    sender_key = body[21:86]
    assert body[20] == 65 and sender_key[0] == 4
    assert sender_key != b64url_decode(browser.subscription()["keys"]["p256dh"])
    payload = browser.decrypt(body)
    # What is pushed is the review item the event opened (an API client's event is an alert, as in Frigate).
    item = appliance.detection.reviews.for_event(event_id)
    assert item is not None and item.severity == "alert"
    assert payload == {"id": item.id, "camera": "cam", "type": "alert", "title": "Doorbell detected",
                       "message": "Detected on Cam", "direct_url": "/#cam",
                       "image": f"/api/events/{event_id}/thumbnail.jpg"}
    # VAPID (RFC 8292): a JWT for the push service's origin, signed by the key the API gives out.
    scheme, _, params = headers["authorization"].partition(" ")
    values = dict(part.strip().split("=", 1) for part in params.split(","))
    assert scheme == "vapid" and values["k"] == public_key
    verifier = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(values["k"]))
    claims = jwt.decode(values["t"], verifier, algorithms=["ES256"], audience=push_service.url)
    assert claims["sub"].startswith("mailto:")


def test_failures_are_retried_and_gone_subscriptions_dropped(client, appliance, push_service, fast_retries):
    flaky, gone = Browser(f"{push_service.url}/push/flaky"), Browser(f"{push_service.url}/push/gone")
    push_service.answers = {"/push/flaky": [500, 503], "/push/gone": [410]}
    for browser in (flaky, gone):
        assert client.post("/api/notifications/register", json={"sub": browser.subscription()}).status_code == 200
    client.post("/api/events/cam/doorbell/create", json={})
    wait_for(lambda: len([r for r in push_service.received if r[0] == "/push/flaky"]) == 3)
    delivered = [body for path, _headers, body in push_service.received if path == "/push/flaky"]
    assert flaky.decrypt(delivered[-1])["type"] == "alert"
    wait_for(lambda: [s["endpoint"] for s in appliance.notifier.subscriptions()] == [flaky.endpoint])


def test_the_owners_own_recording_is_not_an_alert(client, appliance, push_service):
    browser = Browser(f"{push_service.url}/push/owner")
    client.post("/api/notifications/register", json={"sub": browser.subscription()})
    appliance.events.open("cam", "manual", "manual")
    client.post("/api/events/cam/doorbell/create", json={})
    wait_for(lambda: push_service.received)
    assert [browser.decrypt(body)["title"] for _path, _headers, body in push_service.received] == [
        "Doorbell detected"]


def test_each_review_item_is_pushed_once_when_it_becomes_an_alert(client, appliance, push_service):
    """A detection is not pushed; the item is when a person joins it, and not again after; a sensor's item
    is pushed even as a detection (the appliance's own alarm)."""
    browser = Browser(f"{push_service.url}/push/owner")
    client.post("/api/notifications/register", json={"sub": browser.subscription()})
    keeper = appliance.detection.keepers["cam"]
    now = appliance.clock.time()
    keeper.event_started("e1", "cat", now)
    item = keeper.current
    assert item is not None and item.severity == "detection"
    keeper.event_started("e2", "person", now + 1, zones=["front_yard"])
    keeper.event_started("e3", "car", now + 2)
    wait_for(lambda: push_service.received)
    for event_id in ("e1", "e2", "e3"):
        keeper.event_ended(event_id, now + 3)
    keeper.tick(now + 3 + keeper.settings.quiet_seconds)
    assert appliance.detection.reviews.get(item.id).end_time is not None  # type: ignore[union-attr]
    sensor_event = appliance.events.open("cam", "sensor", "door", sub_label="front_door")
    sensor_item = appliance.detection.reviews.for_event(sensor_event.id)
    assert sensor_item is not None and sensor_item.severity == "detection"
    # An API client's event joins the sensor's item and makes it an alert: announced already, not again.
    joined = client.post("/api/events/cam/doorbell/create", json={"duration": None}).json["event_id"]
    assert appliance.detection.reviews.get(sensor_item.id).severity == "alert"  # type: ignore[union-attr]
    for event_id in (sensor_event.id, joined):
        appliance.events.end(event_id)
    keeper.tick(appliance.clock.time() + 60)
    # A new item after that one ended: pushed, after exactly the two before it (one worker, in order).
    marker = client.post("/api/events/cam/parcel/create", json={}).json["event_id"]
    wait_for(lambda: len(push_service.received) >= 3)
    pushed = [browser.decrypt(body) for _path, _headers, body in push_service.received]
    assert [payload["id"] for payload in pushed] == [
        item.id, sensor_item.id, appliance.detection.reviews.for_event(marker).id]  # type: ignore[union-attr]
    assert pushed[0]["title"] == "Cat, Person detected in Front Yard"
    assert pushed[1]["title"] == "Front Door detected" and pushed[1]["image"].endswith(
        f"/api/events/{sensor_event.id}/thumbnail.jpg")


@pytest.mark.parametrize(("sub", "field"), [
    ({"endpoint": "http://10.0.0.9/push", "keys": {"p256dh": "x", "auth": "y"}}, "sub.endpoint"),
    ({"endpoint": "file:///etc/passwd", "keys": {"p256dh": "x", "auth": "y"}}, "sub.endpoint"),
    ({"endpoint": "https://push.example/x", "keys": {"p256dh": b64url(b"\x04" * 10), "auth": b64url(b"a" * 16)}},
     "sub.keys.p256dh"),
    ({"endpoint": "https://push.example/x", "keys": {"p256dh": b64url(b"\x04" * 65), "auth": b64url(b"a" * 3)}},
     "sub.keys.auth"),
    ({"endpoint": "https://push.example/x"}, "sub.keys"),
    (None, "sub"),
])
def test_bad_subscriptions_are_400_naming_the_field(client, sub, field):
    response = client.post("/api/notifications/register", json={"sub": sub} if sub is not None else {})
    assert response.status_code == 400 and response.json["field"] == field


def test_the_vapid_key_survives_a_restart(app, appliance):
    from securitycam.notifications import PushNotifier

    again = PushNotifier(appliance.db, appliance.paths.vapid_key_file)
    assert again.public_key == appliance.notifier.public_key
    assert appliance.paths.vapid_key_file.stat().st_mode & 0o777 == 0o600
