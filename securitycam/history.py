"""History: what happened (``/event_history``) and how the host fared (``/health_history``).

*Event history.* The service listens to the event bus (:meth:`EventBus.listen`: the publisher only
puts the event on a queue, so a sensor trigger never waits for the SD card) and its own thread
turns the events it cares about into rows of ``history_events`` ``(ts, type, severity, detail)``:

| bus event          | history type                                  | severity                     |
|--------------------|-----------------------------------------------|------------------------------|
| ``sensor_state``   | ``sensor_triggered`` / ``sensor_released``    | warn (ok when suppressed) / ok |
| ``recording_state``| ``recording_started`` / ``recording_stopped`` | ok                           |
| ``presence_change``| ``presence_arrived`` / ``presence_left``      | ok                           |
| ``system_alert``   | ``health_alert``, one per metric that changed | the metric's new level       |

plus ``system_boot`` when the service starts. Only changes are kept (a sensor's state message
repeats while it is held; a camera's recording state comes with every restart). Rows come in
batches, one transaction per batch.

*Health history.* Every :data:`HEALTH_SAMPLE_SECONDS` the same thread samples what the health
monitor reads (CPU temperature, load, memory, storage, from :func:`~securitycam.system.info.host_figures`)
into ``health_samples``.

Both tables are bounded, pruned at each sample: events are kept :data:`EVENT_HOURS` (and at most
:data:`MAX_EVENTS` rows), samples :data:`HEALTH_HOURS`; a query's ``hours`` is clamped to that.
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from securitycam.bus import PRESENCE_CHANGE, RECORDING_STATE, SENSOR_STATE, SYSTEM_ALERT, BusEvent, EventBus
from securitycam.clock import Clock
from securitycam.store.db import Database, register_schema

log = logging.getLogger(__name__)

register_schema(
    "history",
    [
        """
        CREATE TABLE history_events (
            id INTEGER PRIMARY KEY,
            ts REAL NOT NULL,
            type TEXT NOT NULL,
            severity TEXT NOT NULL,
            detail TEXT
        );
        CREATE INDEX history_events_ts ON history_events (ts);
        CREATE TABLE health_samples (
            ts REAL PRIMARY KEY,
            cpu_temp_celsius REAL,
            cpu_load_percent REAL,
            ram_percent REAL,
            ram_used_mb INTEGER,
            storage_percent REAL
        );
        """
    ],
)

EVENT_HOURS = 4380  # half a year
MAX_EVENTS = 50_000
# A JSON answer of the whole table would cost a Pi Zero seconds and tens of MiB; the CSV has it all.
MAX_LISTED = 5000
HEALTH_HOURS = 72
HEALTH_SAMPLE_SECONDS = 300.0
CSV_HEADER = ("timestamp", "type", "severity", "detail")
FIELDS = ("ts", "type", "severity", "detail")
ISO_TS = "strftime('%Y-%m-%dT%H:%M:%f+00:00', ts, 'unixepoch')"
_WATCHED = frozenset({SENSOR_STATE, RECORDING_STATE, PRESENCE_CHANGE, SYSTEM_ALERT})
# Events waiting for the writer; past this (a stuck disk) new ones are dropped, never the publisher blocked.
QUEUE_LIMIT = 1000

Row = tuple[float, str, str, str | None]



def _inert(field: Any) -> Any:
    """A CSV field a spreadsheet will not read as a formula."""
    return f"'{field}" if isinstance(field, str) and field[:1] in ("=", "+", "-", "@", "\t", "\r") else field

class History:
    """The history service; ``sample()`` gives the health figures to keep (``host_figures``)."""

    def __init__(self, db: Database, bus: EventBus, clock: Clock, sample: Callable[[], dict[str, Any]]) -> None:
        self._db = db
        self._clock = clock
        self._sample = sample
        self._queue: queue.Queue[tuple[float, BusEvent]] = queue.Queue(maxsize=QUEUE_LIMIT)
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._triggered: dict[str, bool] = {}
        self._recording: dict[str, bool] = {}
        self._next_sample = 0.0
        bus.listen(self._heard)

    # -- reading ---------------------------------------------------------------------------------
    def events(self, hours: int) -> list[dict[str, Any]]:
        """The events of the last ``hours`` (clamped to what is kept), oldest first; at most the newest
        :data:`MAX_LISTED` (the CSV has them all)."""
        return [dict(zip(FIELDS, row, strict=True)) for row in self._rows(hours, MAX_LISTED)]

    def _rows(self, hours: int, limit: int = -1) -> list[tuple]:
        """The rows of the last ``hours``, oldest first; with ``limit``, only the newest ``limit``."""
        since = self._clock.time() - min(hours, EVENT_HOURS) * 3600
        # SQLite formats the times (ISO 8601, UTC, milliseconds): in Python that was most of the cost.
        cursor = self._db.execute(f"SELECT {ISO_TS}, type, severity, detail FROM history_events "
                                  "WHERE ts >= ? ORDER BY ts DESC, id DESC LIMIT ?", (since, limit))
        rows = cursor.fetchall()
        rows.reverse()
        return rows

    def events_csv(self, hours: int) -> str:
        """:meth:`events` as CSV (RFC 4180: CRLF line ends, fields quoted when needed).

        A detail starts with a name a LAN user chose (a device, a sensor): one starting like a
        formula (``=HYPERLINK(...)``) would run as one in the owner's spreadsheet, so such a field
        is given a leading ``'``, as OWASP's CSV-injection advice says."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_HEADER)
        writer.writerows([[_inert(field) for field in row] for row in self._rows(hours)])
        return out.getvalue()

    def health(self, hours: int) -> list[dict[str, Any]]:
        """The health samples of the last ``hours`` (clamped to :data:`HEALTH_HOURS`), oldest first."""
        since = self._clock.time() - min(hours, HEALTH_HOURS) * 3600
        rows = self._db.query(f"SELECT {ISO_TS} AS ts, cpu_temp_celsius, cpu_load_percent, ram_percent, ram_used_mb, "
                              "storage_percent FROM health_samples AS s WHERE s.ts >= ? ORDER BY s.ts", (since,))
        return [dict(row) for row in rows]

    # -- writing ---------------------------------------------------------------------------------
    def record(self, rows: list[Row]) -> None:
        if rows:
            with self._db.transaction() as tx:
                tx.executemany("INSERT INTO history_events (ts, type, severity, detail) VALUES (?, ?, ?, ?)", rows)

    def take_sample(self) -> None:
        """Keep one health sample now, and prune both tables."""
        now = self._clock.time()
        figures = self._sample()
        with self._db.transaction() as tx:
            tx.execute("INSERT OR REPLACE INTO health_samples VALUES (?, ?, ?, ?, ?, ?)", (
                now, figures["cpu_temp_celsius"], figures["cpu_load_percent"], figures["ram_usage_mb"]["percent"],
                figures["ram_usage_mb"]["used_mb"], figures["storage_info_gb"]["percent"]))
            tx.execute("DELETE FROM health_samples WHERE ts < ?", (now - HEALTH_HOURS * 3600,))
            tx.execute("DELETE FROM history_events WHERE ts < ? OR id <= (SELECT max(id) FROM history_events) - ?",
                       (now - EVENT_HOURS * 3600, MAX_EVENTS))

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until every event heard so far is written (tests, shutdown)."""
        done = threading.Event()
        self._queue.put((0.0, BusEvent(0, "_flush", {"done": done})), timeout=timeout)
        if self._thread is None or not self._thread.is_alive():
            self._drain()
        done.wait(timeout)

    # -- service ---------------------------------------------------------------------------------
    def start(self) -> None:
        self.record([(self._clock.time(), "system_boot", "ok", None)])
        self._thread = threading.Thread(target=self._run, name="history", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Write what is queued and stop the thread."""
        if self._thread is not None:
            self._stopping.set()
            with contextlib.suppress(queue.Full):  # a full queue wakes the thread anyway
                self._queue.put_nowait((0.0, BusEvent(0, "_wake", {})))
            self._thread.join(timeout=10)
            self._thread = None

    # -- plumbing --------------------------------------------------------------------------------
    def _heard(self, event: BusEvent) -> None:
        if event.name in _WATCHED:
            try:
                self._queue.put_nowait((self._clock.time(), event))
            except queue.Full:
                log.warning("history: writer behind; %s not kept", event.name)

    def _run(self) -> None:
        while not self._stopping.is_set():
            heard: list[tuple[float, BusEvent]] = []
            with contextlib.suppress(queue.Empty):  # nothing heard: time for a sample
                heard.append(self._queue.get(timeout=max(0.0, self._next_sample - self._clock.monotonic())))
            if self._clock.monotonic() >= self._next_sample and not self._stopping.is_set():
                self._next_sample = self._clock.monotonic() + HEALTH_SAMPLE_SECONDS
                self._guarded(self.take_sample)
            self._guarded(self._drain, heard)
        self._guarded(self._drain)  # what came while stopping

    def _guarded(self, step: Callable[..., None], *args: Any) -> None:
        try:
            step(*args)
        except Exception:
            log.exception("history: writing failed")

    def _drain(self, items: list[tuple[float, BusEvent]] | None = None) -> None:
        """Write ``items`` and every queued event in one transaction; then wake whoever waits in
        :meth:`flush`."""
        items = list(items or [])
        while True:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        rows: list[Row] = []
        flushes = []
        for ts, event in items:
            if event.name == "_flush":
                flushes.append(event.data["done"])
            else:
                rows.extend((ts, *row) for row in self._translate(event))
        try:
            self.record(rows)
        finally:
            for done in flushes:
                done.set()

    def _translate(self, event: BusEvent) -> list[tuple[str, str, str | None]]:
        data = event.data
        if event.name == SENSOR_STATE:
            return self._sensor(data)
        if event.name == RECORDING_STATE:
            camera, recording = str(data.get("camera")), bool(data.get("recording"))
            if self._recording.get(camera, False) == recording:
                return []
            self._recording[camera] = recording
            return [("recording_started" if recording else "recording_stopped", "ok", f"camera {camera}")]
        if event.name == PRESENCE_CHANGE:
            who = f"{data.get('name') or 'device'} ({data.get('address')}, {data.get('kind', 'bluetooth')})"
            return [("presence_arrived", "ok", f"{who} is home") if data.get("present")
                    else ("presence_left", "ok", f"{who} left")]
        if event.name == SYSTEM_ALERT:
            values = data.get("values", {})
            return [("health_alert", change["to"], f"{metric}: {change['from']} -> {change['to']} "
                     f"({values.get(metric)})") for metric, change in data.get("changed", {}).items()]
        return []

    def _sensor(self, data: dict[str, Any]) -> list[tuple[str, str, str | None]]:
        sensor_id = str(data.get("id"))
        triggered = bool(data.get("triggered")) and not data.get("removed")
        if self._triggered.get(sensor_id, False) == triggered:
            return []
        self._triggered[sensor_id] = triggered
        config = data.get("config") or {}
        what = f"{config.get('name') or sensor_id} ({config.get('type')})"
        if not triggered:
            return [("sensor_released", "ok", what)]
        if data.get("suppressed"):
            return [("sensor_triggered", "ok", f"{what}; suppressed: someone is home")]
        return [("sensor_triggered", "warn", what)]
