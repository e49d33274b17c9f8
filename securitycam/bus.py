"""The in-process event bus behind SSE (and, later, MQTT).

Publishers never block: each subscriber has its own bounded queue, and a subscriber whose
queue is full is dropped (its stream ends; the browser's EventSource reconnects and replays what
it missed from the ring with ``Last-Event-ID``).

A subscription may carry a ``client_gone`` probe (the server's "has this client closed its
connection?", waitress's ``waitress.client_disconnected``). A stream checks it every
:data:`DISCONNECT_POLL` seconds while no event comes, and a new subscriber that finds the bus full
first evicts the subscriptions whose clients are gone: a client that reconnects at once is never
refused because of its own old stream, and a closed stream frees its place within a second rather
than at its next heartbeat's failed write.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

# The event names the parts publish; later parts add theirs here.
SENSOR_STATE = "sensor_state"
RECORDING_STATE = "recording_state"
ARCHIVE_UPDATED = "archive_updated"
PRESENCE_CHANGE = "presence_change"
SYSTEM_ALERT = "system_alert"
SYSTEM_INFO = "system_info"
# Detection, named after Frigate's MQTT topics: tracked objects' events (new/update/end) and review items.
OBJECT_EVENTS = "events"
REVIEWS = "reviews"
# A tracked object's sub label (description, face...) changed: Frigate's payload.
TRACKED_OBJECT_UPDATE = "tracked_object_update"
# A camera's motion started or stopped: ``{"camera", "active"}``.
MOTION = "motion"

DISCONNECT_POLL = 1.0

log = logging.getLogger(__name__)


def _never_gone() -> bool:
    return False


@dataclass(frozen=True)
class BusEvent:
    id: int
    name: str
    data: dict[str, Any]

    def to_sse(self) -> str:
        payload = json.dumps(self.data, separators=(",", ":"), default=str)
        return f"id: {self.id}\nevent: {self.name}\ndata: {payload}\n\n"


class Subscription:
    """One client's view of the bus: iterate :meth:`next` until it returns ``None`` (closed)."""

    def __init__(self, bus: EventBus, maxsize: int, client_gone: Callable[[], bool] | None = None) -> None:
        self._bus = bus
        self._queue: queue.Queue[BusEvent | None] = queue.Queue(maxsize=maxsize)
        self.dropped = False
        self.client_gone = client_gone or _never_gone

    def offer(self, event: BusEvent) -> bool:
        try:
            self._queue.put_nowait(event)
            return True
        except queue.Full:
            return False

    def next(self, timeout: float) -> BusEvent | bool | None:
        """The next event; ``False`` after ``timeout`` with none; ``None`` once closed or dropped."""
        if self.dropped and self._queue.empty():
            return None
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return False

    def close(self) -> None:
        self._bus.unsubscribe(self)
        self._wake()

    def _wake(self) -> None:
        # Wake a reader blocked in next(); if the queue is full it will see `dropped` anyway.
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EventBus:
    """Publish named events with increasing ids to every subscriber; keep a replay ring."""

    def __init__(self, ring_size: int = 500, queue_size: int = 256, max_subscribers: int = 48) -> None:
        self._ids = itertools.count(1)
        self._ring: deque[BusEvent] = deque(maxlen=ring_size)
        self._subscribers: list[Subscription] = []
        self._listeners: list[Callable[[BusEvent], None]] = []
        self._lock = threading.Lock()
        self._queue_size = queue_size
        self.max_subscribers = max_subscribers

    def publish(self, name: str, data: dict[str, Any] | None = None) -> BusEvent:
        with self._lock:
            event = BusEvent(next(self._ids), name, dict(data or {}))
            self._ring.append(event)
            slow = [sub for sub in self._subscribers if not sub.offer(event)]
            for sub in slow:
                sub.dropped = True
                self._subscribers.remove(sub)
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                log.exception("bus listener %r failed", listener)
        return event

    def listen(self, listener: Callable[[BusEvent], None]) -> None:
        """Call ``listener(event)`` for every event, in the publisher's thread: it must only queue
        the event (publishers never block). Unlike a subscription it takes no SSE client's place."""
        self._listeners.append(listener)

    def subscribe(
        self, last_event_id: int | None = None, client_gone: Callable[[], bool] | None = None
    ) -> Subscription:
        """A new subscription; with ``last_event_id``, the ring's later events are queued first.

        Raises :class:`TooManySubscribers` past ``max_subscribers`` (after evicting subscriptions
        whose clients are gone) so that SSE clients can never take every server thread and starve
        API requests.
        """
        with self._lock:
            if len(self._subscribers) >= self.max_subscribers:
                self._evict_gone()
            if len(self._subscribers) >= self.max_subscribers:
                raise TooManySubscribers(self.max_subscribers)
            sub = Subscription(self, self._queue_size, client_gone)
            if last_event_id is not None:
                for event in self._ring:
                    if event.id > last_event_id and not sub.offer(event):
                        break
            self._subscribers.append(sub)
            return sub

    def _evict_gone(self) -> None:
        gone = [sub for sub in self._subscribers if sub.client_gone()]
        for sub in gone:
            sub.dropped = True
            self._subscribers.remove(sub)
            sub._wake()

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subscribers:
                self._subscribers.remove(sub)

    def recent(self, name: str | None = None) -> list[BusEvent]:
        with self._lock:
            return [e for e in self._ring if name is None or e.name == name]

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def close(self) -> None:
        with self._lock:
            subs, self._subscribers = self._subscribers, []
        for sub in subs:
            sub.close()

    def stream(self, sub: Subscription, heartbeat: float = 15.0) -> Iterator[str]:
        """SSE text for ``sub``: events as they come, a comment line after ``heartbeat`` quiet seconds.

        Ends when the subscription is closed or dropped, or its client is gone.
        """
        yield "retry: 3000\n\n"
        try:
            last_sent = time.monotonic()
            while True:
                item = sub.next(timeout=min(heartbeat, DISCONNECT_POLL))
                if item is None or sub.client_gone():
                    return
                if item is False:
                    if time.monotonic() - last_sent < heartbeat:
                        continue
                    yield ": heartbeat\n\n"
                else:
                    yield item.to_sse()
                last_sent = time.monotonic()
        finally:
            sub.close()


class TooManySubscribers(RuntimeError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"too many live event streams (limit {limit})")
