"""Web Push notifications (Frigate's ``/api/notifications/*``), sent with pywebpush.

A browser subscribes with the appliance's VAPID public key (``GET /api/notifications/pubkey``) and
hands its subscription (endpoint URL plus the ``p256dh`` and ``auth`` keys) to ``POST
/api/notifications/register``; subscriptions are stored per user. What is pushed, as in Frigate, is
each new alert review item (the review store's :meth:`~ReviewStore.on_new_alert`: an item that
becomes an alert, an object in ``review.alerts.labels`` or an API client's event, or that a sensor
trigger joins, once per item), never the owner's own recordings. Each alert is encrypted for
each subscription (RFC 8291, ``aes128gcm``) and POSTed to its endpoint with a VAPID signature
(RFC 8292); pywebpush does both. It is imported on the first push, on the sending thread: it
brings aiohttp, over a second of imports on a Pi, which a start-up need not wait for.

The VAPID key pair is made at the first start and kept in ``vapid-private.pem`` (mode 0600) in the
data directory, so subscriptions survive restarts. Sending happens on a worker thread of its own
(an alert is only queued by whoever raises it): a failed push is retried ``attempts`` times with
a growing pause; a push service that answers 404 or 410 has dropped the subscription, so we drop
it too.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
import queue
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid

from securitycam.clock import Clock
from securitycam.fileio import write_atomic
from securitycam.store.db import Database, register_schema
from securitycam.store.review import ReviewSegment

log = logging.getLogger(__name__)

register_schema(
    "notifications",
    [
        """
        CREATE TABLE push_subscriptions (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL,
            endpoint TEXT NOT NULL UNIQUE,
            p256dh TEXT NOT NULL,
            auth TEXT NOT NULL,
            created REAL NOT NULL,
            failures INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX push_subscriptions_user ON push_subscriptions (username);
        """
    ],
)

# A push service answering these has forgotten the subscription for good.
GONE = (404, 410)
VAPID_SUBJECT = "mailto:securitycam@localhost"


class SubscriptionRefused(ValueError):
    """A subscription the appliance will not push to (the message says why)."""


def _b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def check_subscription(endpoint: str, p256dh: str, auth: str) -> None:
    """An https endpoint (plain http only to this machine), a P-256 public key and a 16-byte secret."""
    parts = urlsplit(endpoint)
    loopback = False
    try:
        loopback = ipaddress.ip_address(parts.hostname or "").is_loopback
    except ValueError:
        loopback = parts.hostname == "localhost"
    if not parts.hostname or parts.scheme not in ("https", "http") or (parts.scheme == "http" and not loopback):
        raise SubscriptionRefused("sub.endpoint: must be an https URL")
    try:
        key, secret = _b64url_decode(p256dh), _b64url_decode(auth)
    except (ValueError, TypeError) as exc:
        raise SubscriptionRefused("sub.keys: p256dh and auth must be base64url") from exc
    if len(key) != 65 or key[0] != 4:
        raise SubscriptionRefused("sub.keys.p256dh: must be an uncompressed P-256 public key")
    if len(secret) != 16:
        raise SubscriptionRefused("sub.keys.auth: must be 16 bytes")


def _titled(name: str) -> str:
    return " ".join(word.capitalize() for word in name.replace("_", " ").split())


def review_alert(segment: ReviewSegment) -> dict[str, Any]:
    """Frigate's notification payload for a new alert review item (``title`` "<Objects> detected in
    <zones>", ``message`` "Detected on <Camera>", ``direct_url`` the camera's live view, ``image`` the
    item's thumbnail), plus its ``camera``. Sensor items name their sensors; an item with no thumbnail
    shows its first event's."""
    data = segment.data
    names = [label for label in data.get("objects", []) if "-verified" not in label] + data.get("sub_labels", [])
    what = ", ".join(_titled(name) for name in dict.fromkeys(names or data.get("sensors", []))) or "Activity"
    zones = ", ".join(_titled(zone) for zone in data.get("zones", []))
    thumb = segment.thumb_path.rsplit("/", 1)[-1]
    first = (data.get("detections") or [None])[0]
    image = (f"/clips/review/{thumb}" if thumb else
             f"/api/events/{first}/thumbnail.jpg" if first else f"/api/{segment.camera}/latest.jpg")
    return {"title": f"{what} detected" + (f" in {zones}" if zones else ""),
            "message": f"Detected on {_titled(segment.camera)}", "id": segment.id, "type": "alert",
            "camera": segment.camera, "direct_url": f"/#{segment.camera}", "image": image}


class PushNotifier:
    """Subscriptions, the VAPID key, and a worker that delivers queued alerts; a service of the appliance."""

    def __init__(self, db: Database, key_file: Path, clock: Clock | None = None, attempts: int = 3,
                 backoff: float = 2.0, timeout: float = 10.0) -> None:
        self._db = db
        self._clock = clock or Clock()
        self._attempts = attempts
        self._backoff = backoff
        self._timeout = timeout
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(maxsize=100)
        self._thread: threading.Thread | None = None
        self._vapid = self._load_or_make_key(key_file)

    @staticmethod
    def _load_or_make_key(key_file: Path) -> Vapid:
        if key_file.exists():
            return Vapid.from_file(str(key_file))
        vapid = Vapid()
        vapid.generate_keys()
        write_atomic(key_file, vapid.private_pem(), mode=0o600)
        return vapid

    @property
    def public_key(self) -> str:
        """The application server key a browser subscribes with (base64url, uncompressed point)."""
        raw = self._vapid.public_key.public_bytes(serialization.Encoding.X962,
                                                  serialization.PublicFormat.UncompressedPoint)
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    def register(self, username: str, endpoint: str, p256dh: str, auth: str) -> None:
        """Store ``username``'s subscription (a browser subscribing again replaces its keys)."""
        check_subscription(endpoint, p256dh, auth)
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT INTO push_subscriptions (username, endpoint, p256dh, auth, created) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(endpoint) DO UPDATE SET username = excluded.username, p256dh = excluded.p256dh, "
                "auth = excluded.auth, failures = 0",
                (username, endpoint, p256dh, auth, self._clock.time()),
            )

    def subscriptions(self, username: str | None = None) -> list[dict[str, Any]]:
        where, params = ("WHERE username = ?", (username,)) if username else ("", ())
        return [dict(row) for row in self._db.query(f"SELECT * FROM push_subscriptions {where} ORDER BY id", params)]

    def review_alerted(self, segment: ReviewSegment) -> None:
        """The review store's new-alert listener: push the item."""
        self.alert(review_alert(segment))

    def alert(self, payload: dict[str, Any]) -> None:
        """Queue ``payload`` (Frigate's ``title``, ``message``, ``direct_url``, ``image``, ``id``, ``type``)
        for every subscription; never blocks the caller (a full queue drops the alert, logged)."""
        try:
            self._queue.put_nowait(payload)
        except queue.Full:
            log.warning("push queue full: alert %s not sent", payload.get("id"))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="push", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=self._timeout + 5)
            self._thread = None

    def _run(self) -> None:
        while True:
            payload = self._queue.get()
            if payload is None:
                return
            data = json.dumps(payload)
            for subscription in self.subscriptions():
                try:
                    self._deliver(subscription, data)
                except Exception:
                    log.exception("push to %s failed", subscription["endpoint"])

    def _deliver(self, subscription: dict[str, Any], data: str) -> None:
        from pywebpush import WebPushException, webpush

        info = {"endpoint": subscription["endpoint"],
                "keys": {"p256dh": subscription["p256dh"], "auth": subscription["auth"]}}
        for attempt in range(1, self._attempts + 1):
            try:
                webpush(info, data=data, vapid_private_key=self._vapid, vapid_claims={"sub": VAPID_SUBJECT},
                           timeout=self._timeout, ttl=3600)
                return
            except WebPushException as exc:
                status = exc.response.status_code if exc.response is not None else None
                if status in GONE:
                    log.info("push service forgot %s (%s): subscription dropped", subscription["endpoint"], status)
                    self._drop(subscription["id"])
                    return
                log.warning("push to %s failed (attempt %d of %d): %s", subscription["endpoint"], attempt,
                            self._attempts, exc)
            if attempt < self._attempts:
                time.sleep(self._backoff * attempt)
        with self._db.transaction() as tx:
            tx.execute("UPDATE push_subscriptions SET failures = failures + 1 WHERE id = ?", (subscription["id"],))

    def _drop(self, subscription_id: int) -> None:
        with self._db.transaction() as tx:
            tx.execute("DELETE FROM push_subscriptions WHERE id = ?", (subscription_id,))
