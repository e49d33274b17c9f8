"""Events: a time range on a camera, whatever started it (a sensor, an object, motion, a person
at the API). This table is the contract between the parts: sensors and detection open and end
events here; the recorder listens and keeps the footage; the Frigate-compatible ``/api/events``
serves the rows as they are.

Rows carry Frigate's event fields from the start: ``id`` is ``<epoch>.<fraction>-<6 random>``,
``start_time``/``end_time`` are epoch-second floats (``end_time`` is null while in progress, or
ahead of now for an event created with a duration: it is still in progress until then).

Queries (:class:`EventQuery`) are one SQL statement each, newest first by default, and every filter
has an index that lets SQLite stop after ``limit`` rows instead of reading the table: by camera,
label, camera and label (each with the start time), end time, and partial indexes on the rare
kinds (retained, without clip, without snapshot, with a sub label, with zones). Zones and sub label
names are also kept one row each in ``event_tags``: a zone or name few events have is looked up
there (walking the events newest first would read them all before giving up), a common one is
found by that walk, which soon meets enough of them.
"""

from __future__ import annotations

import json
import logging
import random
import string
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from securitycam.clock import Clock
from securitycam.store.db import Backfill, Database, filled_below, register_schema, start_backfill

log = logging.getLogger(__name__)

SOURCES = ("sensor", "object", "motion", "manual", "api")

register_schema(
    "events",
    [
        """
        CREATE TABLE events (
            id TEXT PRIMARY KEY,
            camera TEXT NOT NULL,
            label TEXT NOT NULL,
            sub_label TEXT,
            source TEXT NOT NULL,
            top_score REAL,
            start_time REAL NOT NULL,
            end_time REAL,
            zones TEXT NOT NULL DEFAULT '[]',
            has_clip INTEGER NOT NULL DEFAULT 0,
            has_snapshot INTEGER NOT NULL DEFAULT 0,
            retain_indefinitely INTEGER NOT NULL DEFAULT 0,
            false_positive INTEGER NOT NULL DEFAULT 0,
            data TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX events_camera_start ON events (camera, start_time);
        CREATE INDEX events_start ON events (start_time);
        CREATE INDEX events_open ON events (end_time) WHERE end_time IS NULL;
        """,
        """
        CREATE INDEX events_label_start ON events (label, start_time);
        CREATE INDEX events_camera_label_start ON events (camera, label, start_time);
        CREATE INDEX events_end ON events (end_time);
        CREATE INDEX events_retained ON events (start_time) WHERE retain_indefinitely = 1;
        CREATE INDEX events_without_clip ON events (start_time) WHERE has_clip = 0;
        CREATE INDEX events_without_snapshot ON events (start_time) WHERE has_snapshot = 0;
        CREATE INDEX events_sub_labelled ON events (start_time) WHERE sub_label IS NOT NULL;
        CREATE INDEX events_zoned ON events (start_time) WHERE zones != '[]';
        CREATE INDEX events_score ON events (top_score);
        """,
        lambda tx: _create_tags(tx),
        # Step 4 made event_summary per UTC hour; step 5 drops that (whatever it held) and makes it anew.
        lambda tx: None,
        lambda tx: _create_summary(tx),
    ],
)

SORTS = {
    "date_desc": "start_time DESC",
    "date_asc": "start_time ASC",
    "score_desc": "top_score DESC, start_time DESC",
    "score_asc": "top_score ASC, start_time DESC",
}
# In a list filter (sub labels, zones), this value matches events that have none (Frigate's convention).
NONE_VALUE = "None"
ZONE, SUB_LABEL = "zone", "sub_label"
# A zone or sub label on at most this many events is looked up through event_tags (then sorted);
# a commoner one is found by walking the events newest first, which soon meets enough of them.
RARE_TAG = 500


def tag_values(zones: Sequence[str], sub_label: str | None) -> list[tuple[str, str]]:
    """``(kind, value)`` rows for an event: each zone, and each name of a ``"a, b"`` sub label (lower case)."""
    names = {name.strip().lower() for name in (sub_label or "").split(",") if name.strip()}
    return [(ZONE, zone) for zone in dict.fromkeys(zones)] + [(SUB_LABEL, name) for name in sorted(names)]


def _write_tags(tx: Any, event_id: str, start_time: float, zones: Sequence[str], sub_label: str | None) -> None:
    tx.execute("DELETE FROM event_tags WHERE event_id = ?", (event_id,))
    tx.executemany("INSERT INTO event_tags (event_id, kind, value, start_time) VALUES (?, ?, ?, ?)",
                   [(event_id, kind, value, start_time) for kind, value in tag_values(zones, sub_label)])


def _create_tags(tx: Any) -> None:
    """event_tags: one row per zone and sub label name of an event, so a rare one is found by index."""
    tx.execute("CREATE TABLE event_tags (event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE, "
               "kind TEXT NOT NULL, value TEXT NOT NULL, start_time REAL NOT NULL)")
    tx.execute("CREATE INDEX event_tags_value ON event_tags (kind, value, start_time)")
    tx.execute("CREATE INDEX event_tags_event ON event_tags (event_id)")
    rows = tx.execute("SELECT id, start_time, zones, sub_label FROM events "
                      "WHERE zones != '[]' OR sub_label IS NOT NULL").fetchall()
    for event_id, start_time, zones, sub_label in rows:
        _write_tags(tx, event_id, start_time, json.loads(zones), sub_label)


# event_summary: events counted per UTC day, camera, label, sub label ('' for none), zones and
# clip/snapshot flags, kept by triggers (so every writer is covered). Beside the day's count (``events``),
# ``q1``..``q95`` count those that started before the day's k-th quarter hour (00:15, 00:30 ... 23:45
# UTC): every time zone's offset is a whole number of quarter hours, so a local day starts at one of
# them, and a row splits into the local day before and the one after with a single column. Its key's
# order is the summary's, so /api/events/summary reads it in one pass without a sort.
_SUMMARY_KEY = ("day", "camera", "label", "sub_label", "zones", "has_clip", "has_snapshot")
QUARTER = 900
_QUARTERS_A_DAY = 96
_BEFORE = [f"q{k}" for k in range(1, _QUARTERS_A_DAY)]
_COUNTS = (*_BEFORE, "events")
_OLD_SUMMARY_TRIGGERS = ("event_summary_new", "event_summary_gone", "event_summary_changed")


def _summary_key(row: str) -> str:
    """The key of ``row`` (``NEW``, ``OLD`` or a table alias) in event_summary."""
    return (f"CAST({row}.start_time / 86400 AS INTEGER), {row}.camera, {row}.label, coalesce({row}.sub_label, ''), "
            f"{row}.zones, {row}.has_clip, {row}.has_snapshot")


def _quarter_flags(row: str) -> list[str]:
    """An expression per column of :data:`_COUNTS`: 1 where ``row`` counts in it, else 0."""
    quarter = f"CAST({row}.start_time / {QUARTER} AS INTEGER) % {_QUARTERS_A_DAY}"
    return [f"({quarter} < {k})" for k in range(1, _QUARTERS_A_DAY)] + ["1"]


def _summary_count(row: str, change: int) -> str:
    """SQL that counts ``row`` in (``change`` 1) or out of (-1) event_summary; a row left empty goes.
    A day the backfill has not reached yet is not counted (it has no rows here to take out of either)."""
    if change > 0:
        return (f"INSERT INTO event_summary ({', '.join((*_SUMMARY_KEY, *_COUNTS))}) "
                f"SELECT {_summary_key(row)}, {', '.join(_quarter_flags(row))} "
                f"WHERE CAST({row}.start_time / 86400 AS INTEGER) < {filled_below(_BACKFILL)} "
                "ON CONFLICT DO UPDATE SET "
                + ", ".join(f"{column} = {column} + excluded.{column}" for column in _COUNTS) + ";")
    key = f"({', '.join(_SUMMARY_KEY)}) = ({_summary_key(row)})"
    return ("UPDATE event_summary SET " + ", ".join(f"{column} = {column} - {flag}" for column, flag in
                                                    zip(_COUNTS, _quarter_flags(row), strict=True))
            + f" WHERE {key}; DELETE FROM event_summary WHERE {key} AND events <= 0;")


# event_summary's rows counted from the events themselves (``{where}`` picks them): the backfill's, and
# what a reader adds for the days the backfill has not reached yet.
_COUNTED_EVENTS = (f"SELECT {_summary_key('e')}, {', '.join(f'sum({flag})' for flag in _quarter_flags('e'))} "
                   "FROM events AS e WHERE {where} GROUP BY 1, 2, 3, 4, 5, 6, 7")
_BACKFILL = "event_summary"


def _create_summary(tx: Any) -> None:
    """event_summary per quarter hour (it was per hour: offsets with minutes could not use it), filled
    by the backfill (see :mod:`securitycam.store.db`)."""
    for trigger in _OLD_SUMMARY_TRIGGERS:
        tx.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    tx.execute("DROP TABLE IF EXISTS event_summary")
    start_backfill(tx, _BACKFILL, "SELECT CAST(min(start_time) / 86400 AS INTEGER) FROM events")
    counted = ("start_time", "camera", "label", "sub_label", "zones", "has_clip", "has_snapshot")
    changed = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in counted)
    count_columns = ", ".join(f"{column} INTEGER NOT NULL DEFAULT 0" for column in _COUNTS)
    for statement in (
        f"""CREATE TABLE event_summary (
            day INTEGER NOT NULL, camera TEXT NOT NULL, label TEXT NOT NULL, sub_label TEXT NOT NULL,
            zones TEXT NOT NULL, has_clip INTEGER NOT NULL, has_snapshot INTEGER NOT NULL, {count_columns},
            PRIMARY KEY ({', '.join(_SUMMARY_KEY)})) WITHOUT ROWID""",
        f"CREATE TRIGGER event_summary_new AFTER INSERT ON events BEGIN {_summary_count('NEW', 1)} END",
        f"CREATE TRIGGER event_summary_gone AFTER DELETE ON events BEGIN {_summary_count('OLD', -1)} END",
        f"CREATE TRIGGER event_summary_changed AFTER UPDATE OF {', '.join(counted)} ON events WHEN {changed} "
        f"BEGIN {_summary_count('OLD', -1)} {_summary_count('NEW', 1)} END",
    ):
        tx.execute(statement)


def _fill_summary_day(tx: Any, day: int) -> None:
    # The range lets the start time index find the day; the day itself is computed as the triggers do.
    tx.execute(f"INSERT INTO event_summary ({', '.join((*_SUMMARY_KEY, *_COUNTS))}) "
               + _COUNTED_EVENTS.format(where="e.start_time >= ? AND e.start_time < ? "
                                              "AND CAST(e.start_time / 86400 AS INTEGER) = ?"),
               (day * 86400 - 1, (day + 1) * 86400 + 1, day))


SUMMARY_BACKFILL = Backfill(_BACKFILL, "events", _fill_summary_day)


@dataclass(frozen=True)
class EventQuery:
    """Which events to list; ``None`` (or an empty tuple) leaves a filter out.

    ``after``/``before`` bound the start time (exclusive, as Frigate does). ``sub_labels`` match
    case-insensitively, whole or as one name of a ``"a, b"`` list; ``zones`` match any of the
    event's zones. ``time_range`` is ``("HH:MM", "HH:MM")`` of the start time's local clock at
    ``utc_offset`` seconds (an overnight range such as 20:00-06:00 wraps). Scores are ``top_score``;
    lengths need an end. ``in_progress`` compares a scheduled end with ``now``.
    """

    ids: Sequence[str] | None = None
    cameras: Sequence[str] | None = None
    labels: Sequence[str] | None = None
    sub_labels: Sequence[str] | None = None
    zones: Sequence[str] | None = None
    source: str | None = None
    after: float | None = None
    before: float | None = None
    in_progress: bool | None = None
    has_clip: bool | None = None
    has_snapshot: bool | None = None
    retained: bool | None = None
    min_score: float | None = None
    max_score: float | None = None
    min_length: float | None = None
    max_length: float | None = None
    time_range: tuple[str, str] | None = None
    utc_offset: float = 0.0
    sort: str = "date_desc"
    limit: int = 100
    offset: int = 0

    def tag_filters(self) -> dict[str, list[str]]:
        """The zone and sub label filters that may be looked up in event_tags (not asking for ``None``)."""
        filters = {}
        if self.zones and NONE_VALUE not in self.zones:
            filters[ZONE] = list(self.zones)
        if self.sub_labels and NONE_VALUE.lower() not in (value.lower() for value in self.sub_labels):
            filters[SUB_LABEL] = [value.lower() for value in self.sub_labels]
        return filters

    def where(self, now: float, rare: dict[str, list[str]] | None = None) -> tuple[str, list[Any]]:
        """The WHERE clause (with its leading keyword, or empty) and its parameters; the ``rare`` tag
        filters (:meth:`tag_filters` few events have) select through event_tags."""
        where: list[str] = []
        params: list[Any] = []

        def any_of(column: str, values: Sequence[str]) -> None:
            where.append(f"{column} IN ({', '.join('?' for _ in values)})")
            params.extend(values)

        if self.ids:
            any_of("id", self.ids)
        if self.cameras:
            any_of("camera", self.cameras)
        if self.labels:
            any_of("label", self.labels)
        if self.source is not None:
            where.append("source = ?")
            params.append(self.source)
        for kind, values in (rare or {}).items():
            where.append(f"id IN (SELECT event_id FROM event_tags WHERE kind = ? AND value IN "
                         f"({', '.join('?' for _ in values)}))")
            params.extend([kind, *values])
        rare = rare or {}
        if self.sub_labels and SUB_LABEL not in rare:
            self._list_filter(where, params, "sub_label IS NULL", "sub_label IS NOT NULL", [
                ("lower(sub_label) = ?", "{}"), ("instr(lower(sub_label), ?) > 0", "{},"),
                ("instr(lower(sub_label), ?) > 0", ", {}"),
            ], [value.lower() for value in self.sub_labels], NONE_VALUE.lower())
        if self.zones and ZONE not in rare:
            # zones is a JSON list: a quoted name inside it is that zone, whole.
            self._list_filter(where, params, "zones = '[]'", "zones != '[]'", [("instr(zones, ?) > 0", "{}")],
                              [json.dumps(zone) for zone in self.zones], json.dumps(NONE_VALUE))
        for column, operator, value in (("start_time", ">", self.after), ("start_time", "<", self.before),
                                        ("top_score", ">=", self.min_score), ("top_score", "<=", self.max_score),
                                        ("end_time - start_time", ">=", self.min_length),
                                        ("end_time - start_time", "<=", self.max_length)):
            if value is not None:
                where.append(f"{column} {operator} ?")
                params.append(value)
        if self.in_progress is not None:
            where.append("(end_time IS NULL OR end_time > ?)" if self.in_progress else "end_time <= ?")
            params.append(now)
        for column, value in (("has_clip", self.has_clip), ("has_snapshot", self.has_snapshot),
                              ("retain_indefinitely", self.retained)):
            if value is not None:
                where.append(f"{column} = {int(value)}")
        if self.time_range is not None:
            clock = "strftime('%H:%M', start_time + ?, 'unixepoch')"
            start, end = self.time_range
            joiner = "OR" if start > end else "AND"
            where.append(f"({clock} >= ? {joiner} {clock} < ?)")
            params.extend([self.utc_offset, start, self.utc_offset, end])
        return (f"WHERE {' AND '.join(where)}" if where else ""), params

    @staticmethod
    def _list_filter(where: list[str], params: list[Any], none_clause: str, some_clause: str,
                     patterns: list[tuple[str, str]], values: list[str], none_value: str) -> None:
        """``none_clause`` for ``none_value``, else ``some_clause`` and any pattern matching a value
        (``some_clause`` lets SQLite walk the partial index of the events that have any)."""
        wanted = [value for value in values if value != none_value]
        alternatives = [none_clause] if len(wanted) < len(values) else []
        if wanted:
            matches = []
            for value in wanted:
                for clause, pattern in patterns:
                    matches.append(clause)
                    params.append(pattern.format(value))
            alternatives.append(f"({some_clause} AND ({' OR '.join(matches)}))")
        where.append(f"({' OR '.join(alternatives)})")


@dataclass
class Event:
    id: str
    camera: str
    label: str
    source: str
    start_time: float
    end_time: float | None = None
    sub_label: str | None = None
    top_score: float | None = None
    zones: list[str] = field(default_factory=list)
    has_clip: bool = False
    has_snapshot: bool = False
    retain_indefinitely: bool = False
    false_positive: bool = False
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def in_progress(self) -> bool:
        return self.end_time is None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_JSON_FIELDS = ("zones", "data")
_BOOL_FIELDS = ("has_clip", "has_snapshot", "retain_indefinitely", "false_positive")
_UPDATABLE = {"sub_label", "top_score", "zones", "has_clip", "has_snapshot", "retain_indefinitely",
              "false_positive", "data", "end_time", "label"}


def _from_row(row: Any) -> Event:
    values = dict(row)
    for name in _JSON_FIELDS:
        values[name] = json.loads(values[name])
    for name in _BOOL_FIELDS:
        values[name] = bool(values[name])
    return Event(**values)


def _to_column(name: str, value: Any) -> Any:
    if name in _JSON_FIELDS:
        return json.dumps(value)
    if name in _BOOL_FIELDS:
        return int(bool(value))
    return value


def new_event_id(start_time: float) -> str:
    suffix = "".join(random.choices(string.ascii_lowercase + string.digits, k=6))
    return f"{start_time:.6f}-{suffix}"


Listener = Callable[[Event], None]
# A line of the events summary: local day (YYYY-MM-DD), camera, label, sub label, zones (as stored: a
# JSON list) and how many events.
SummaryRow = tuple[str, str, str, str | None, str, int]


class EventStore:
    """Open, update, end and query events; tell listeners when one opens or ends.

    Listeners run in the caller's thread and must return quickly (the recorder only notes the
    time range; its heavy work happens on its own thread).
    """

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or Clock()
        self._opened: list[Listener] = []
        self._ended: list[Listener] = []
        self._lock = threading.Lock()

    def on_open(self, listener: Listener) -> None:
        self._opened.append(listener)

    def on_end(self, listener: Listener) -> None:
        self._ended.append(listener)

    def open(
        self,
        camera: str,
        source: str,
        label: str,
        *,
        sub_label: str | None = None,
        score: float | None = None,
        data: dict[str, Any] | None = None,
        start_time: float | None = None,
        event_id: str | None = None,
    ) -> Event:
        """Open an event; ``event_id`` keeps an id made earlier (a tracked object's, Frigate's way)."""
        if source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}")
        start = self._clock.time() if start_time is None else start_time
        event = Event(
            id=event_id or new_event_id(start), camera=camera, label=label, source=source, start_time=start,
            sub_label=sub_label, top_score=score, data=dict(data or {}),
        )
        row = event.to_dict()
        columns = ", ".join(row)
        with self._db.transaction() as tx:
            tx.execute(
                f"INSERT INTO events ({columns}) VALUES ({', '.join('?' for _ in row)})",
                [_to_column(k, v) for k, v in row.items()],
            )
            _write_tags(tx, event.id, start, [], sub_label)
        self._notify(self._opened, event)
        return event

    def update(self, event_id: str, **changes: Any) -> Event | None:
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {', '.join(sorted(unknown))}")
        if changes:
            assignments = ", ".join(f"{name} = ?" for name in changes)
            values = [_to_column(k, v) for k, v in changes.items()]
            with self._db.transaction() as tx:
                tx.execute(f"UPDATE events SET {assignments} WHERE id = ?", [*values, event_id])
                if "zones" in changes or "sub_label" in changes:
                    row = tx.execute("SELECT start_time, zones, sub_label FROM events WHERE id = ?",
                                     (event_id,)).fetchone()
                    if row is not None:
                        _write_tags(tx, event_id, row["start_time"], json.loads(row["zones"]), row["sub_label"])
        return self.get(event_id)

    def merge_data(self, event_id: str, changes: dict[str, Any], **columns: Any) -> Event | None:
        """Set keys of ``data`` in one statement (SQLite's ``json_patch``), so writers of different
        keys (detection's box and snapshot, the recorder's clips) never undo each other."""
        unknown = set(columns) - _UPDATABLE - {"data"}
        if unknown or "data" in columns:
            raise ValueError(f"cannot update {', '.join(sorted(unknown | ({'data'} & set(columns))))}")
        assignments = "".join(f", {name} = ?" for name in columns)
        values = [_to_column(k, v) for k, v in columns.items()]
        with self._db.transaction() as tx:
            tx.execute(f"UPDATE events SET data = json_patch(data, ?){assignments} WHERE id = ?",
                       [json.dumps(changes), *values, event_id])
        return self.get(event_id)

    def end(self, event_id: str, end_time: float | None = None) -> Event | None:
        """End an event (once: ending an ended event changes nothing and notifies no one).

        An event may be ended ahead of time (an API event with a duration); until that time comes it is
        in progress, and ending it again brings its end forward.
        """
        now = self._clock.time()
        end = now if end_time is None else end_time
        with self._db.transaction() as tx:
            changed = tx.execute(
                "UPDATE events SET end_time = max(?, start_time) WHERE id = ? "
                "AND (end_time IS NULL OR (end_time > ? AND end_time > ?))",
                (end, event_id, now, end),
            ).rowcount
        event = self.get(event_id)
        if changed and event is not None:
            self._notify(self._ended, event)
        return event

    def open_events(self) -> list[Event]:
        """Every event still in progress, oldest first (however many and however old)."""
        return [_from_row(row) for row in self._db.query("SELECT * FROM events WHERE end_time IS NULL "
                                                         "ORDER BY start_time")]

    def get(self, event_id: str) -> Event | None:
        row = self._db.query_one("SELECT * FROM events WHERE id = ?", (event_id,))
        return _from_row(row) if row else None

    def list(self, query: EventQuery | None = None, /, *, camera: str | None = None, label: str | None = None,
             **filters: Any) -> list[Event]:
        """The events ``query`` selects (or one built from ``filters``, the fields of :class:`EventQuery`,
        with ``camera``/``label`` for a single one), in its order (newest first by default)."""
        if query is None:
            query = EventQuery(cameras=[camera] if camera else None, labels=[label] if label else None, **filters)
        rare = {kind: values for kind, values in query.tag_filters().items() if self._tagged(kind, values) <= RARE_TAG}
        where, params = query.where(self._clock.time(), rare)
        order = SORTS[query.sort]
        if query.in_progress:
            # Few events are in progress: find them by their end (the unary + keeps SQLite from walking
            # the start-time index through the whole table for the order instead).
            order = f"+{order}"
        rows = self._db.query(
            f"SELECT * FROM events {where} ORDER BY {order} LIMIT ? OFFSET ?",
            (*params, query.limit, query.offset),
        )
        return [_from_row(row) for row in rows]

    def _tagged(self, kind: str, values: list[str]) -> int:
        """How many events carry any of ``values`` (counted no further than :data:`RARE_TAG` + 1)."""
        row = self._db.query_one(
            f"SELECT count(*) FROM (SELECT 1 FROM event_tags WHERE kind = ? AND value IN "
            f"({', '.join('?' for _ in values)}) LIMIT ?)", (kind, *values, RARE_TAG + 1))
        return int(row[0]) if row else 0

    def labels(self, camera: str | None = None) -> list[str]:
        """The labels of the events (of ``camera``'s), sorted: one index step per label, not a scan of
        the events (a recursive query that asks for the next label each time)."""
        where = "camera = :camera AND " if camera else ""
        rows = self._db.query(
            f"WITH RECURSIVE found(label) AS (SELECT min(label) FROM events WHERE {where}label IS NOT NULL "
            f"UNION ALL SELECT (SELECT min(label) FROM events WHERE {where}label > found.label) FROM found "
            "WHERE found.label IS NOT NULL) SELECT label FROM found WHERE label IS NOT NULL", {"camera": camera})
        return [row["label"] for row in rows]

    def sub_labels(self) -> list[str]:
        """The sub labels events have, as set (``"alice, bob"`` is one), sorted."""
        rows = self._db.query("SELECT DISTINCT sub_label FROM events WHERE sub_label IS NOT NULL AND sub_label != ''")
        return sorted(row["sub_label"] for row in rows)

    def summary(self, utc_offset: float = 0.0, has_clip: bool | None = None,
                has_snapshot: bool | None = None) -> Iterator[SummaryRow]:
        """How many events per local day (at ``utc_offset`` seconds, a whole number of quarter hours), camera,
        label, sub label and zones, in that order: rows of :data:`SummaryRow`, read as they are needed.

        From ``event_summary``: a local day starts at one quarter hour of the UTC day, so each of its rows
        gives the part of its count before that quarter to one local day and the rest to the next."""
        quarters = utc_offset / QUARTER
        if quarters != int(quarters):
            raise ValueError(f"utc_offset must be a whole number of quarter hours, not {utc_offset}")
        shift, quarter = divmod(int(quarters), _QUARTERS_A_DAY)
        flags = [(column, int(value)) for column, value in (("has_clip", has_clip), ("has_snapshot", has_snapshot))
                 if value is not None]
        where = f"WHERE {' AND '.join(f'{column} = ?' for column, _value in flags)}" if flags else ""
        # Counts before the local day's first quarter go to the UTC day's row + shift, the rest to the next.
        before = f"q{_QUARTERS_A_DAY - quarter}" if quarter else "events"
        parts = [(shift, before)] + ([(shift + 1, f"events - {before}")] if quarter else [])
        table = "event_summary"
        if SUMMARY_BACKFILL.pending(self._db):
            table = ("(SELECT * FROM event_summary UNION ALL " + _COUNTED_EVENTS.format(
                where=f"e.start_time >= {filled_below(_BACKFILL)} * 86400 - 1 "
                      f"AND CAST(e.start_time / 86400 AS INTEGER) >= {filled_below(_BACKFILL)}") + ")")
        counted = " UNION ALL ".join(f"SELECT day + {step} AS day, camera, label, sub_label, zones, {count} AS events "
                                     f"FROM {table} {where}" for step, count in parts)
        rows = self._db.tuples(
            f"SELECT day, camera, label, sub_label, zones, sum(events) AS events FROM ({counted}) WHERE events > 0 "
            "GROUP BY day, camera, label, sub_label, zones ORDER BY day, camera, label, sub_label, zones",
            tuple(value for _part in parts for _column, value in flags),
        )
        days: dict[int, str] = {}
        for day, camera, label, sub_label, zones, count in rows:
            if day not in days:
                days[day] = time.strftime("%Y-%m-%d", time.gmtime(day * 86400))
            yield days[day], camera, label, sub_label or None, zones, count

    def remove_clips(self, removed: dict[str, set[str]]) -> list[tuple[str, str]]:
        """Take deleted clip files (``{event_id: {path, ...}}``) out of their events' ``data["clips"]``.

        One transaction for any number of events, so the janitor can drop thousands of clips at
        once; an event left with no clip has neither clip nor snapshot any more. Returns those
        events, ``(camera, id)``, whose pictures the caller deletes.
        """
        ids = list(removed)
        emptied = []
        with self._db.transaction() as tx:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                rows = tx.execute(
                    f"SELECT id, camera, data FROM events WHERE id IN ({', '.join('?' for _ in chunk)})", chunk
                ).fetchall()
                for row in rows:
                    data = json.loads(row["data"])
                    remaining = [clip for clip in data.get("clips", []) if clip not in removed[row["id"]]]
                    tx.execute(
                        "UPDATE events SET has_clip = ?, has_snapshot = ?, data = ? WHERE id = ?",
                        (int(bool(remaining)), int(bool(remaining)), json.dumps({**data, "clips": remaining}),
                         row["id"]),
                    )
                    if not remaining:
                        emptied.append((row["camera"], row["id"]))
        return emptied

    def delete(self, event_id: str) -> bool:
        with self._db.transaction() as tx:
            return tx.execute("DELETE FROM events WHERE id = ?", (event_id,)).rowcount > 0

    def _notify(self, listeners: list[Listener], event: Event) -> None:
        for listener in list(listeners):
            try:
                listener(event)
            except Exception:
                log.exception("event listener %r failed for %s", listener, event.id)
