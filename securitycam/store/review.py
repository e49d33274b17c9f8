"""Review items (Frigate 0.14+ ``review_segments``): a span of activity on one camera that gathers
the events overlapping it, for owners to look through and mark reviewed.

Rows have Frigate's shape: ``id`` (``<epoch>.<fraction>-<6 random>``), ``camera``,
``start_time``/``end_time`` (epoch seconds; ``end_time`` null while active), ``severity``
(``alert`` or ``detection``), ``thumb_path`` and ``data`` with ``detections`` (event ids),
``objects`` (labels), ``sub_labels``, ``zones``, ``audio``, and ours, ``sensors`` (the sensor
events that joined it). Detection writes them (:mod:`securitycam.detection.review`); ``/api/review``
serves them.

Each item is announced once to :meth:`ReviewStore.on_new_alert` listeners (Web Push) when a write
makes it an alert or gives it its first sensor trigger; an ``announced`` column, set by a
conditional ``UPDATE`` in the same transaction, makes that exactly once, across restarts too.

Reviewed is per user, as in Frigate 0.16 (``UserReviewStatus``): a ``review_status`` row
``(review_id, username)`` says that user has seen the item; marking one's own items touches nobody
else's. Deleting an item deletes its marks (a foreign key, ``ON DELETE CASCADE``).

Queries are one SQL statement each, on indexes, newest first:

- a time window selects items *active* in it (``start_time < before`` and ended after ``after``,
  or still open), as Frigate does. ``end_time`` has no index of its own that could bound that
  scan, so the store bounds ``start_time`` from below too: no item that ended after ``after`` began
  earlier than ``after`` minus the longest finished item (an index on the length gives it in one
  step) or than the oldest open item (a partial index). The scan stays on the (camera,) start time
  index from ``before`` down to that bound;
- labels and zones match any of the item's, whole names (Frigate's ``LIKE`` on the JSON list, without
  its partial matches). Each item's labels, zones and event ids are also kept one row each in
  ``review_tags`` (filled by triggers from ``data``, so every writer is covered). A filter of one
  name reads that name's tag rows in start time order (the scan stops at ``limit``, however rare
  the name); several names few items of the window have (at most :data:`RARE_TAG`, counted on the
  index) are looked up there; common ones are checked on the rows the time scan meets;
- several cameras walk the start time index (one camera walks its own), so ``limit`` stops the scan
  instead of a sort of every item of those cameras;
- whether the caller reviewed an item is a lookup per row met (``EXISTS``): a ``LEFT JOIN`` makes
  SQLite build a Bloom filter of every mark first, the whole table for a query that stops at 100 rows;
- an event finds its item through its ``review_tags`` row (Frigate's ``/api/review/event/<id>``
  scans the table).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from securitycam.store.db import Backfill, Database, filled_below, register_schema, start_backfill
from securitycam.store.events import new_event_id

log = logging.getLogger(__name__)

SEVERITIES = ("alert", "detection")
# SQLite takes at most 32766 parameters; lists of ids are sent in slices well below it.
_ID_SLICE = 500
# A label or zone on at most this many items of a window is looked up through review_tags.
RARE_TAG = 5000

# An item's labels (objects and audio, each once), from its data JSON.
_LABELS = "SELECT value FROM json_each({data}, '$.objects') UNION SELECT value FROM json_each({data}, '$.audio')"
# Each label of ``item`` (a table in FROM) as ``label.value``: its objects, then audio not among them.
_LABEL_SOURCES = ("json_each({item}.data, '$.objects') AS label WHERE true",
                  "json_each({item}.data, '$.audio') AS label "
                  "WHERE label.value NOT IN (SELECT value FROM json_each({item}.data, '$.objects'))")
# Who counts an item in the hourly counts: everyone ('') and each user who marked it (joined by ``where``).
_EVERYONE = "(SELECT '' AS username) AS who"
_MARKED_BY = "review_status AS who"
_LABEL_HOURS = "INSERT INTO review_label_hours (label, username, hour, camera, severity, items) "


def _label_hours_add(item: str, who: str, where: str = "") -> str:
    """Count each label of ``item`` for ``who`` (a ``who.username`` source; ``where`` joins them)."""
    return "".join(
        f"{_LABEL_HOURS}SELECT label.value, who.username, CAST({item}.start_time / 3600 AS INTEGER), {item}.camera, "
        f"{item}.severity, 1 FROM {who}, {source.format(item=item)} {where} "
        "ON CONFLICT DO UPDATE SET items = items + 1;" for source in _LABEL_SOURCES)


def _label_hours_remove(item: str) -> str:
    return (f"UPDATE review_label_hours SET items = items - 1 WHERE hour = CAST({item}.start_time / 3600 AS INTEGER) "
            f"AND camera = {item}.camera AND severity = {item}.severity "
            f"AND label IN ({_LABELS.format(data=f'{item}.data')}) "
            f"AND (username = '' OR username IN (SELECT username FROM review_status WHERE review_id = {item}.id));")



# Step 5: the per-hour counts also say how many of the hour's items started from minute 15, 30 and 45
# (``from15`` ...): every time zone's offset is a whole number of quarter hours, so a local day starts at
# one of them and splits an hour's count with one column. ``review_labelset_hours`` counts each item
# once under its whole label set (a JSON list, sorted), so a filter of several labels counts an item
# that has two of them once. Each table's rows are (key, username, hour, camera, severity): username ''
# counts every item, a user's name the items that user marked.
_LATE = {15: 1, 30: 2, 45: 3}  # column minute: first quarter of the hour counted in it
_TALLIES = ("items", *(f"from{minute}" for minute in _LATE))
_KEYS = {"review_hours": "username, hour, camera, severity", "review_label_hours": "label, username, hour, camera, "
         "severity", "review_labelset_hours": "labels, username, hour, camera, severity"}
# Who counts an item: everyone ('') and each user who marked it.
_WHO_OF_ITEM = "(SELECT '' AS username UNION ALL SELECT username FROM review_status WHERE review_id = {item}.id) AS who"


def _sources(item: str, who: str, where: str = "true") -> list[tuple[str, str]]:
    """(table, SELECT of its key and tallies) per counted table, for ``item`` seen by ``who`` (FROM
    items giving ``who.username``; ``where`` joins them)."""
    quarter = f"CAST({item}.start_time / 900 AS INTEGER) % 4"
    tallies = ", ".join(f"{count} AS {tally}" for count, tally in zip(
        ["1", *(f"({quarter} >= {first})" for first in _LATE.values())], _TALLIES, strict=True))
    common = (f"who.username AS username, CAST({item}.start_time / 3600 AS INTEGER) AS hour, {item}.camera AS camera, "
              f"{item}.severity AS severity, {tallies}")
    labels = (f"(SELECT json_group_array(value) FROM ({_LABELS.format(data=f'{item}.data')} ORDER BY value))")
    objects, audio = (f"json_each({item}.data, '$.{key}') AS label" for key in ("objects", "audio"))
    return [
        ("review_hours", f"SELECT {common} FROM {who} WHERE {where}"),
        ("review_label_hours", f"SELECT label.value AS label, {common} FROM {who}, {objects} WHERE {where}"),
        ("review_label_hours", f"SELECT label.value AS label, {common} FROM {who}, {audio} WHERE {where} "
                               f"AND label.value NOT IN (SELECT value FROM json_each({item}.data, '$.objects'))"),
        ("review_labelset_hours", f"SELECT {labels} AS labels, {common} FROM {who} "
                                  f"WHERE {where} AND {labels} != '[]'"),
    ]


def _count(item: str, who: str, change: int, where: str = "true") -> str:
    """SQL adding ``item`` (``change`` 1) to, or taking it (-1) out of, every counted table for each of ``who``.
    An item of a day the backfill has not reached yet is not counted (it has no rows to take out of either)."""
    statements = []
    if change > 0:
        where = f"{where} AND CAST({item}.start_time / 86400 AS INTEGER) < {filled_below(_BACKFILL)}"
    for table, select in _sources(item, who, where):
        keys = _KEYS[table]
        if change > 0:
            statements.append(
                f"INSERT INTO {table} ({keys}, {', '.join(_TALLIES)}) {select} ON CONFLICT DO UPDATE "
                f"SET {', '.join(f'{tally} = {tally} + excluded.{tally}' for tally in _TALLIES)};")
        else:
            # The same SELECT says which rows to lower, and by how much (each tally is 0 or 1 for one item).
            columns = keys.split(", ")
            statements.append(
                f"UPDATE {table} SET {', '.join(f'{tally} = {table}.{tally} - taken.{tally}' for tally in _TALLIES)} "
                f"FROM ({select}) AS taken "
                f"WHERE ({', '.join(f'{table}.{column}' for column in columns)}) = "
                f"({', '.join(f'taken.{column}' for column in columns)});")
    return " ".join(statements)


def _quarter_counts(tx: Any) -> None:
    """Step 5: the counted tables made anew with their ``from`` columns, one set of triggers for all."""
    for trigger in ("review_hours_new", "review_hours_severity", "review_hours_gone", "review_hours_marked",
                    "review_hours_unmarked", "review_label_hours_new", "review_label_hours_changed",
                    "review_label_hours_gone", "review_label_hours_marked", "review_label_hours_unmarked"):
        tx.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    tallies = ", ".join(f"{tally} INTEGER NOT NULL" for tally in _TALLIES)
    for table, keys in _KEYS.items():
        tx.execute(f"DROP TABLE IF EXISTS {table}")
        columns = ", ".join(f"{column} {'INTEGER' if column == 'hour' else 'TEXT'} NOT NULL"
                            for column in keys.split(", "))
        tx.execute(f"CREATE TABLE {table} ({columns}, {tallies}, PRIMARY KEY ({keys})) WITHOUT ROWID")
    new_who, old_who = _WHO_OF_ITEM.format(item="NEW"), _WHO_OF_ITEM.format(item="OLD")
    for statement in (
        f"CREATE TRIGGER review_counts_new AFTER INSERT ON review_segments BEGIN {_count('NEW', new_who, 1)} END",
        "CREATE TRIGGER review_counts_changed AFTER UPDATE OF data, severity, camera, start_time ON review_segments "
        "WHEN OLD.data IS NOT NEW.data OR OLD.severity IS NOT NEW.severity OR OLD.camera IS NOT NEW.camera "
        f"OR OLD.start_time IS NOT NEW.start_time BEGIN {_count('OLD', old_who, -1)} {_count('NEW', new_who, 1)} END",
        # Before the row goes: its marks (deleted by the cascade after) still say who counted it. When
        # the item itself goes, review_counts_unmarked then finds no item and changes nothing.
        f"CREATE TRIGGER review_counts_gone BEFORE DELETE ON review_segments BEGIN {_count('OLD', old_who, -1)} END",
        "CREATE TRIGGER review_counts_marked AFTER INSERT ON review_status BEGIN "
        + _count("item", "(SELECT NEW.username AS username) AS who, review_segments AS item", 1,
                 "item.id = NEW.review_id") + " END",
        "CREATE TRIGGER review_counts_unmarked AFTER DELETE ON review_status BEGIN "
        + _count("item", "(SELECT OLD.username AS username) AS who, review_segments AS item", -1,
                 "item.id = OLD.review_id") + " END",
    ):
        tx.execute(statement)
    start_backfill(tx, _BACKFILL, "SELECT CAST(min(start_time) / 86400 AS INTEGER) FROM review_segments")


_BACKFILL = "review_counts"


def _counted_items(table: str, where: str) -> str:
    """``table``'s rows counted from the items themselves (``where`` picks them, as ``item``), for everyone
    and each user who marked them: the backfill's, and what a reader adds for the days it has not reached."""
    selects = [select for who in ("review_segments AS item, (SELECT '' AS username) AS who",
                                  "review_status AS who JOIN review_segments AS item ON item.id = who.review_id")
               for counted, select in _sources("item", who, where) if counted == table]
    keys = _KEYS[table]
    return (f"SELECT {keys}, {', '.join(f'sum({tally}) AS {tally}' for tally in _TALLIES)} "
            f"FROM ({' UNION ALL '.join(selects)}) GROUP BY {keys}")


def _fill_counts_day(tx: Any, day: int) -> None:
    # The range lets the start time index find the day; the day itself is computed as the triggers do.
    for table, keys in _KEYS.items():
        tx.execute(f"INSERT INTO {table} ({keys}, {', '.join(_TALLIES)}) " + _counted_items(
            table, f"item.start_time >= {day * 86400 - 1} AND item.start_time < {(day + 1) * 86400 + 1} "
                   f"AND CAST(item.start_time / 86400 AS INTEGER) = {int(day)}"))


COUNTS_BACKFILL = Backfill(_BACKFILL, "review_segments", _fill_counts_day)


register_schema(
    "review",
    [
        """
        CREATE TABLE review_segments (
            id TEXT PRIMARY KEY,
            camera TEXT NOT NULL,
            start_time REAL NOT NULL,
            end_time REAL,
            severity TEXT NOT NULL,
            thumb_path TEXT NOT NULL DEFAULT '',
            data TEXT NOT NULL DEFAULT '{}',
            has_been_reviewed INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX review_segments_camera_start ON review_segments (camera, start_time);
        CREATE INDEX review_segments_start ON review_segments (start_time);
        """,
        # Reviewed per user (Frigate 0.16); nothing ever set the shared flag but a unit test.
        """
        ALTER TABLE review_segments DROP COLUMN has_been_reviewed;
        CREATE TABLE review_status (
            review_id TEXT NOT NULL REFERENCES review_segments (id) ON DELETE CASCADE,
            username TEXT NOT NULL,
            PRIMARY KEY (review_id, username)
        ) WITHOUT ROWID;
        CREATE INDEX review_segments_length ON review_segments ((end_time - start_time));
        CREATE INDEX review_segments_open ON review_segments (start_time) WHERE end_time IS NULL;
        CREATE TABLE review_tags (
            review_id TEXT NOT NULL REFERENCES review_segments (id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            value TEXT NOT NULL,
            start_time REAL NOT NULL
        );
        CREATE INDEX review_tags_value ON review_tags (kind, value, start_time);
        CREATE INDEX review_tags_review ON review_tags (review_id);
        CREATE TRIGGER review_tags_new AFTER INSERT ON review_segments BEGIN
            INSERT INTO review_tags (review_id, kind, value, start_time)
            SELECT NEW.id, tag.kind, tag.value, NEW.start_time FROM (
                SELECT 'event' AS kind, value FROM json_each(NEW.data, '$.detections')
                UNION SELECT 'label', value FROM json_each(NEW.data, '$.objects')
                UNION SELECT 'label', value FROM json_each(NEW.data, '$.audio')
                UNION SELECT 'zone', value FROM json_each(NEW.data, '$.zones')) AS tag;
        END;
        CREATE TRIGGER review_tags_changed AFTER UPDATE OF data ON review_segments BEGIN
            DELETE FROM review_tags WHERE review_id = NEW.id;
            INSERT INTO review_tags (review_id, kind, value, start_time)
            SELECT NEW.id, tag.kind, tag.value, NEW.start_time FROM (
                SELECT 'event' AS kind, value FROM json_each(NEW.data, '$.detections')
                UNION SELECT 'label', value FROM json_each(NEW.data, '$.objects')
                UNION SELECT 'label', value FROM json_each(NEW.data, '$.audio')
                UNION SELECT 'zone', value FROM json_each(NEW.data, '$.zones')) AS tag;
        END;
        UPDATE review_segments SET data = data;
        CREATE TABLE review_hours (
            username TEXT NOT NULL,
            hour INTEGER NOT NULL,
            camera TEXT NOT NULL,
            severity TEXT NOT NULL,
            items INTEGER NOT NULL,
            PRIMARY KEY (username, hour, camera, severity)
        ) WITHOUT ROWID;
        CREATE TRIGGER review_hours_new AFTER INSERT ON review_segments BEGIN
            INSERT INTO review_hours (username, hour, camera, severity, items)
            VALUES ('', CAST(NEW.start_time / 3600 AS INTEGER), NEW.camera, NEW.severity, 1)
            ON CONFLICT DO UPDATE SET items = items + 1;
        END;
        CREATE TRIGGER review_hours_severity AFTER UPDATE OF severity ON review_segments
        WHEN OLD.severity != NEW.severity BEGIN
            UPDATE review_hours SET items = items - 1
            WHERE hour = CAST(OLD.start_time / 3600 AS INTEGER) AND camera = OLD.camera AND severity = OLD.severity
            AND (username = '' OR username IN (SELECT username FROM review_status WHERE review_id = OLD.id));
            INSERT INTO review_hours (username, hour, camera, severity, items)
            SELECT who.username, CAST(NEW.start_time / 3600 AS INTEGER), NEW.camera, NEW.severity, 1
            FROM (SELECT '' AS username UNION ALL SELECT username FROM review_status WHERE review_id = NEW.id) AS who
            WHERE true ON CONFLICT DO UPDATE SET items = items + 1;
        END;
        CREATE TRIGGER review_hours_gone BEFORE DELETE ON review_segments BEGIN
            UPDATE review_hours SET items = items - 1
            WHERE hour = CAST(OLD.start_time / 3600 AS INTEGER) AND camera = OLD.camera AND severity = OLD.severity
            AND (username = '' OR username IN (SELECT username FROM review_status WHERE review_id = OLD.id));
        END;
        CREATE TRIGGER review_hours_marked AFTER INSERT ON review_status BEGIN
            INSERT INTO review_hours (username, hour, camera, severity, items)
            SELECT NEW.username, CAST(start_time / 3600 AS INTEGER), camera, severity, 1
            FROM review_segments WHERE id = NEW.review_id
            AND true ON CONFLICT DO UPDATE SET items = items + 1;
        END;
        -- When the item itself goes (a cascade), its row is gone already and review_hours_gone counted it.
        CREATE TRIGGER review_hours_unmarked AFTER DELETE ON review_status BEGIN
            UPDATE review_hours SET items = items - 1
            WHERE (username, hour, camera, severity) = (
                SELECT OLD.username, CAST(start_time / 3600 AS INTEGER), camera, severity
                FROM review_segments WHERE id = OLD.review_id);
        END;
        INSERT INTO review_hours (username, hour, camera, severity, items)
        SELECT '', CAST(start_time / 3600 AS INTEGER), camera, severity, count(*) FROM review_segments
        GROUP BY 2, 3, 4;
        """,
        # Whether the item was announced as a new alert (items from before this step were not new).
        """
        ALTER TABLE review_segments ADD COLUMN announced INTEGER NOT NULL DEFAULT 0;
        UPDATE review_segments SET announced = 1;
        """,
        # review_hours per label too (each label of an item's objects and audio, once): the summary with
        # one label reads it. Triggers on the items themselves (OLD and NEW data and severity in one
        # place) and on the marks.
        f"""
        CREATE TABLE review_label_hours (
            label TEXT NOT NULL,
            username TEXT NOT NULL,
            hour INTEGER NOT NULL,
            camera TEXT NOT NULL,
            severity TEXT NOT NULL,
            items INTEGER NOT NULL,
            PRIMARY KEY (label, username, hour, camera, severity)
        ) WITHOUT ROWID;
        CREATE TRIGGER review_label_hours_new AFTER INSERT ON review_segments BEGIN
            {_label_hours_add("NEW", _EVERYONE)}
        END;
        CREATE TRIGGER review_label_hours_changed AFTER UPDATE OF data, severity ON review_segments
        WHEN OLD.data IS NOT NEW.data OR OLD.severity != NEW.severity BEGIN
            {_label_hours_remove("OLD")}
            {_label_hours_add("NEW", _EVERYONE)}
            {_label_hours_add("NEW", _MARKED_BY, "AND who.review_id = NEW.id")}
        END;
        CREATE TRIGGER review_label_hours_gone BEFORE DELETE ON review_segments BEGIN
            {_label_hours_remove("OLD")}
        END;
        CREATE TRIGGER review_label_hours_marked AFTER INSERT ON review_status BEGIN
            {_label_hours_add("item", "review_segments AS item, (SELECT NEW.username AS username) AS who",
                              "AND item.id = NEW.review_id")}
        END;
        CREATE TRIGGER review_label_hours_unmarked AFTER DELETE ON review_status BEGIN
            UPDATE review_label_hours SET items = items - 1
            WHERE username = OLD.username AND (hour, camera, severity) = (
                SELECT CAST(start_time / 3600 AS INTEGER), camera, severity FROM review_segments
                WHERE id = OLD.review_id)
            AND label IN ({_LABELS.format(data="(SELECT data FROM review_segments WHERE id = OLD.review_id)")});
        END;
        {_label_hours_add("item", "review_segments AS item, " + _EVERYONE)}
        {_label_hours_add("item", "review_segments AS item, " + _MARKED_BY, "AND who.review_id = item.id")}
        """,
        _quarter_counts,
    ],
)


def empty_data() -> dict[str, list]:
    return {"detections": [], "objects": [], "sub_labels": [], "zones": [], "audio": [], "sensors": []}


@dataclass
class ReviewSegment:
    id: str
    camera: str
    start_time: float
    severity: str
    end_time: float | None = None
    thumb_path: str = ""
    data: dict[str, Any] = field(default_factory=empty_data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ReviewQuery:
    """Which items to list; ``None`` (or empty) leaves a filter out.

    ``after``/``before`` select items active in that span. ``reviewed`` is seen by ``user``:
    ``False`` keeps only items they have not marked, ``True`` only those they have.
    """

    cameras: Sequence[str] | None = None
    labels: Sequence[str] | None = None
    zones: Sequence[str] | None = None
    severity: str | None = None
    after: float | None = None
    before: float | None = None
    in_progress: bool | None = None
    user: str | None = None
    reviewed: bool | None = None
    limit: int | None = 100


@dataclass(frozen=True)
class ReviewCounts:
    reviewed_alert: int = 0
    reviewed_detection: int = 0
    total_alert: int = 0
    total_detection: int = 0


def _from_row(row: Any) -> ReviewSegment:
    return ReviewSegment(row["id"], row["camera"], row["start_time"], row["severity"], row["end_time"],
                         row["thumb_path"], json.loads(row["data"]))


def _slices(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    for begin in range(0, len(ids), _ID_SLICE):
        yield ids[begin:begin + _ID_SLICE]


def _marks(count: int) -> str:
    return ", ".join("?" for _ in range(count))


def _delete(tx: Any, ids: Sequence[str]) -> list[ReviewSegment]:
    deleted: list[ReviewSegment] = []
    for part in _slices(list(dict.fromkeys(ids))):
        rows = tx.execute(f"DELETE FROM review_segments WHERE id IN ({_marks(len(part))}) RETURNING *",
                          tuple(part)).fetchall()
        deleted.extend(_from_row(row) for row in rows)
    return deleted


# An item the owner is told about: an alert, or one a sensor (the appliance's own alarm) joined.
_NOTABLE = "(severity = 'alert' OR json_array_length(data, '$.sensors') > 0)"


class ReviewStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._new_alert: list[Callable[[ReviewSegment], None]] = []

    def on_new_alert(self, listener: Callable[[ReviewSegment], None]) -> None:
        """Call ``listener`` once per item (also across restarts: the row remembers it), on the writer's
        thread, when the item first becomes an alert or first holds a sensor trigger."""
        self._new_alert.append(listener)

    def _announce(self, tx: Any, segment_id: str) -> ReviewSegment | None:
        """Mark the item announced if it just became notable (one statement: never twice)."""
        row = tx.execute(f"UPDATE review_segments SET announced = 1 WHERE id = ? AND announced = 0 AND {_NOTABLE} "
                         "RETURNING *", (segment_id,)).fetchone()
        return _from_row(row) if row else None

    def _tell(self, segment: ReviewSegment | None) -> None:
        for listener in list(self._new_alert) if segment is not None else []:
            try:
                listener(segment)  # type: ignore[arg-type]
            except Exception:
                log.exception("new alert listener %r failed for %s", listener, segment.id)  # type: ignore[union-attr]

    # -- written by detection --------------------------------------------------------------------

    def open(self, camera: str, start_time: float, severity: str, data: dict[str, Any] | None = None,
             thumb_path: str = "") -> ReviewSegment:
        if severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}")
        segment = ReviewSegment(new_event_id(start_time), camera, start_time, severity, thumb_path=thumb_path,
                                data={**empty_data(), **(data or {})})
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT INTO review_segments (id, camera, start_time, end_time, severity, thumb_path, data) "
                "VALUES (?, ?, ?, NULL, ?, ?, ?)",
                (segment.id, camera, start_time, severity, thumb_path, json.dumps(segment.data)),
            )
            announced = self._announce(tx, segment.id)
        self._tell(announced)
        return segment

    def update(self, segment_id: str, *, severity: str | None = None, data: dict[str, Any] | None = None,
               thumb_path: str | None = None, end_time: float | None = None) -> ReviewSegment | None:
        changes = {name: value for name, value in (("severity", severity), ("thumb_path", thumb_path),
                                                   ("end_time", end_time)) if value is not None}
        if severity is not None and severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}")
        if data is not None:
            changes["data"] = json.dumps(data)
        announced = None
        if changes:
            with self._db.transaction() as tx:
                tx.execute(f"UPDATE review_segments SET {', '.join(f'{k} = ?' for k in changes)} WHERE id = ?",
                           (*changes.values(), segment_id))
                announced = self._announce(tx, segment_id)
        self._tell(announced)
        return self.get(segment_id)

    def end_open(self, end_time: float) -> int:
        """End every item left open (by a crash): none stays active forever."""
        with self._db.transaction() as tx:
            return tx.execute("UPDATE review_segments SET end_time = max(?, start_time) WHERE end_time IS NULL",
                              (end_time,)).rowcount

    # -- read ------------------------------------------------------------------------------------

    def get(self, segment_id: str) -> ReviewSegment | None:
        row = self._db.query_one("SELECT * FROM review_segments WHERE id = ?", (segment_id,))
        return _from_row(row) if row else None

    def get_many(self, ids: Sequence[str]) -> list[ReviewSegment]:
        found: list[ReviewSegment] = []
        for part in _slices(list(dict.fromkeys(ids))):
            rows = self._db.query(f"SELECT * FROM review_segments WHERE id IN ({_marks(len(part))})", tuple(part))
            found.extend(_from_row(row) for row in rows)
        return sorted(found, key=lambda segment: segment.start_time, reverse=True)

    def for_event(self, event_id: str) -> ReviewSegment | None:
        """The item that gathered event ``event_id``."""
        row = self._db.query_one(
            "SELECT review_segments.* FROM review_tags JOIN review_segments ON review_segments.id = "
            "review_tags.review_id WHERE review_tags.kind = 'event' AND review_tags.value = ?", (event_id,))
        return _from_row(row) if row else None

    def list(self, **filters: Any) -> list[ReviewSegment]:
        """Newest first; ``filters`` are :class:`ReviewQuery`'s fields."""
        return [segment for segment, _reviewed in self.query(ReviewQuery(**filters))]

    def query(self, query: ReviewQuery) -> list[tuple[ReviewSegment, bool]]:
        """Items newest first, each with whether ``query.user`` marked it reviewed."""
        source, where, params = self._where(query)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        limit = "LIMIT ?" if query.limit is not None else ""
        # With one rare name, its tag rows come in start time order: the scan stops at ``limit``.
        order = "driver.start_time" if source != "review_segments" else "review_segments.start_time"
        rows = self._db.query(
            f"SELECT review_segments.*, {_REVIEWED} AS reviewed FROM {source} {clause} "
            f"ORDER BY {order} DESC {limit}",
            (query.user or "", *params, *((query.limit,) if query.limit is not None else ())),
        )
        return [(_from_row(row), bool(row["reviewed"])) for row in rows]

    def reviewed_by(self, user: str, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` ``user`` has marked reviewed."""
        marked: set[str] = set()
        for part in _slices(list(ids)):
            rows = self._db.query(f"SELECT review_id FROM review_status WHERE username = ? AND review_id IN "
                                  f"({_marks(len(part))})", (user, *part))
            marked.update(row["review_id"] for row in rows)
        return marked

    def counts(self, query: ReviewQuery) -> ReviewCounts:
        """Totals and ``query.user``'s reviewed counts per severity of the items ``query`` selects."""
        rows, params = self._counting(query)
        row = self._db.query_one(f"SELECT {_COUNTS} FROM ({rows})", params)
        return ReviewCounts(*(int(row[name]) for name in _COUNT_NAMES)) if row else ReviewCounts()

    def counts_per_day(self, query: ReviewQuery, utc_offset: float) -> dict[str, ReviewCounts]:
        """:meth:`counts` per local day (the start time at ``utc_offset`` seconds, a whole number of quarter
        hours), newest day first.

        When only cameras and labels are asked for, over counts per hour, camera and severity kept by
        triggers: ``review_hours``, ``review_label_hours`` for one label, ``review_labelset_hours`` (per
        label set: an item with two of the labels counts once) for several. A local day starts at a
        quarter hour of UTC: the ``from`` column of that quarter says how much of an hour's count is the
        next local day's. Otherwise (zones, severity, a window, reviewed), over the items themselves."""
        if any((query.zones, query.severity, query.after, query.before, query.reviewed,
                query.in_progress is not None)):
            selected, params = self._counting(query)
            rows = self._db.query(
                f"SELECT CAST((start_time + ?) / 86400 AS INTEGER) AS day, {_COUNTS} FROM ({selected}) "
                "GROUP BY day ORDER BY day DESC", (utc_offset, *params))
        else:
            quarters = utc_offset / 900
            if quarters != int(quarters):
                raise ValueError(f"utc_offset must be a whole number of quarter hours, not {utc_offset}")
            hours, quarter = divmod(int(quarters), 4)
            # Items from this minute of a UTC hour start the next local hour (0: none do).
            late = f"from{60 - 15 * quarter}" if quarter else "0"
            where, params = ["username IN ('', ?)"], [query.user]
            labels = list(dict.fromkeys(query.labels or ()))
            filling = COUNTS_BACKFILL.pending(self._db)
            if len(labels) == 1:
                table, where, params = "review_label_hours", ["label = ?", *where], [labels[0], *params]
            elif labels:
                # Any set holding one of the labels: found among the sets counted (each once), or, while the
                # backfill runs (sets only the items have yet), on each row.
                table = "review_labelset_hours"
                matches = f"EXISTS (SELECT 1 FROM json_each(labels) WHERE value IN ({_marks(len(labels))}))"
                where.insert(0, matches if filling else
                             f"labels IN (SELECT labels FROM ({_LABEL_SETS}) WHERE {matches})")
                params = [*labels, *params]
            else:
                table = "review_hours"
            if query.cameras:
                where.append(f"camera IN ({_marks(len(query.cameras))})")
                params.extend(query.cameras)
            if filling:
                table = (f"(SELECT * FROM {table} UNION ALL " + _counted_items(
                    table, f"item.start_time >= {filled_below(_BACKFILL)} * 86400 - 1 "
                           f"AND CAST(item.start_time / 86400 AS INTEGER) >= {filled_below(_BACKFILL)}") + ")")
            rows = self._db.query(
                f"WITH picked AS (SELECT hour, username, severity, items, {late} AS late FROM {table} "
                f"WHERE {' AND '.join(where)}) "
                f"SELECT day, {_HOURLY_COUNTS} FROM ("
                # Only the last local hour of a day gives its late items to the next day.
                "SELECT (hour + ?) / 24 AS day, username, severity, "
                "items - CASE WHEN (hour + ?) % 24 = 23 THEN late ELSE 0 END AS items FROM picked UNION ALL "
                "SELECT (hour + ? + 1) / 24, username, severity, late FROM picked "
                "WHERE (hour + ?) % 24 = 23 AND late > 0) "
                "GROUP BY day HAVING total_alert + total_detection > 0 ORDER BY day DESC",
                (*params, query.user, query.user, hours, hours, hours, hours))
        return {time.strftime("%Y-%m-%d", time.gmtime(row["day"] * 86400)):
                ReviewCounts(*(int(row[name]) for name in _COUNT_NAMES)) for row in rows}

    # -- changed by owners -----------------------------------------------------------------------

    def set_reviewed(self, user: str, ids: Sequence[str], reviewed: bool = True) -> int:
        """Mark (or unmark) ``ids`` for ``user``; ids of no item are skipped. Returns rows changed."""
        changed = 0
        with self._db.transaction() as tx:
            for part in _slices(list(dict.fromkeys(ids))):
                if reviewed:
                    changed += tx.execute(
                        f"INSERT OR IGNORE INTO review_status (review_id, username) SELECT id, ? FROM review_segments "
                        f"WHERE id IN ({_marks(len(part))})", (user, *part)).rowcount
                else:
                    changed += tx.execute(f"DELETE FROM review_status WHERE username = ? AND review_id IN "
                                          f"({_marks(len(part))})", (user, *part)).rowcount
        return changed

    def delete_many(self, ids: Sequence[str]) -> list[ReviewSegment]:
        """Delete the items (their marks and event links go with them); returns those that existed."""
        with self._db.transaction() as tx:
            return _delete(tx, ids)

    def forget_events(self, event_ids: Sequence[str]) -> list[ReviewSegment]:
        """Take deleted events out of the items that gathered them (``data.detections``). An item
        left with none is deleted, unless it is still open (detection is still adding to it);
        returns the deleted items."""
        gone = set(event_ids)
        emptied: list[str] = []
        with self._db.transaction() as tx:
            for part in _slices(list(gone)):
                rows = tx.execute(
                    "SELECT DISTINCT review_segments.* FROM review_tags JOIN review_segments ON review_segments.id "
                    f"= review_tags.review_id WHERE review_tags.kind = 'event' AND review_tags.value IN "
                    f"({_marks(len(part))})", tuple(part)).fetchall()
                for segment in map(_from_row, rows):
                    remaining = [event for event in segment.data.get("detections", []) if event not in gone]
                    if remaining or segment.end_time is None:
                        tx.execute("UPDATE review_segments SET data = ? WHERE id = ?",
                                   (json.dumps({**segment.data, "detections": remaining}), segment.id))
                    else:
                        emptied.append(segment.id)
            return _delete(tx, emptied)

    # -- SQL -------------------------------------------------------------------------------------

    def _where(self, query: ReviewQuery) -> tuple[str, list[str], list[Any]]:
        """The rows to read (the table, or one name's tags joined to it) and the conditions."""
        source = "review_segments"
        where: list[str] = []
        params: list[Any] = []
        earliest = self._earliest_start(query.after) if query.after is not None else None
        window = (earliest if earliest is not None else -math.inf,
                  query.before if query.before is not None else math.inf)
        tagged = {kind: (self._tagged(kind, names, *window), names)
                  for kind, names in (("label", query.labels), ("zone", query.zones)) if names}
        # A single name's tag rows, in start time order, drive the query (the fewest such, if two).
        single = sorted((count, kind) for kind, (count, names) in tagged.items() if len(names) == 1)
        driver = single[0][1] if single else None
        rare = {kind: names for kind, (count, names) in tagged.items() if kind == driver or count <= RARE_TAG}
        for kind, names in rare.items():
            if kind == driver:
                source = "review_tags AS driver JOIN review_segments ON review_segments.id = driver.review_id"
                where.append("driver.kind = ? AND driver.value = ? AND driver.start_time >= ? "
                             "AND driver.start_time < ?")
            else:
                where.append("review_segments.id IN (SELECT review_id FROM review_tags WHERE kind = ? AND value IN "
                             f"({_marks(len(names))}) AND start_time >= ? AND start_time < ?)")
            params.extend((kind, *names, *window))
        # Unary + keeps SQLite off an index: with tags, their ids drive the query; with several
        # cameras, the start index (the camera index would sort all their items to give the newest).
        camera = "+review_segments.camera" if rare or len(query.cameras or ()) > 1 else "review_segments.camera"
        start = "+review_segments.start_time" if rare else "review_segments.start_time"
        if query.cameras:
            where.append(f"{camera} IN ({_marks(len(query.cameras))})")
            params.extend(query.cameras)
        if query.severity is not None:
            where.append("review_segments.severity = ?")
            params.append(query.severity)
        for kind, paths, names in (("label", ("$.objects", "$.audio"), query.labels), ("zone", ("$.zones",),
                                                                                       query.zones)):
            if names and kind not in rare:
                found = [f"instr(json_extract(review_segments.data, '{path}'), ?) > 0" for path in paths
                         for _name in names]
                where.append(f"({' OR '.join(found)})")
                params.extend(json.dumps(name) for _path in paths for name in names)
        if query.before is not None:
            where.append(f"{start} < ?")
            params.append(query.before)
        if query.after is not None:
            where.append(f"{start} >= ? AND (review_segments.end_time IS NULL OR review_segments.end_time > ?)")
            params.extend((earliest, query.after))
        if query.in_progress is not None:
            where.append(f"review_segments.end_time IS {'' if query.in_progress else 'NOT '}NULL")
        if query.reviewed is not None:
            where.append(_REVIEWED if query.reviewed else f"NOT {_REVIEWED}")
            params.append(query.user or "")
        return source, where, params

    def _tagged(self, kind: str, values: Sequence[str], start: float, end: float) -> int:
        """How many items of the window carry any of ``values`` (counted no further than :data:`RARE_TAG` + 1)."""
        row = self._db.query_one(
            f"SELECT count(*) AS n FROM (SELECT 1 FROM review_tags WHERE kind = ? AND value IN ({_marks(len(values))}) "
            "AND start_time >= ? AND start_time < ? LIMIT ?)", (kind, *values, start, end, RARE_TAG + 1))
        return int(row["n"]) if row else 0

    def _earliest_start(self, after: float) -> float:
        """No item active after ``after`` started before this (see the module's docstring)."""
        row = self._db.query_one(
            "SELECT (SELECT max(end_time - start_time) FROM review_segments) AS longest, "
            "(SELECT min(start_time) FROM review_segments WHERE end_time IS NULL) AS oldest_open")
        bound = after - (row["longest"] or 0.0) if row else after
        return min(bound, row["oldest_open"]) if row and row["oldest_open"] is not None else bound

    def _counting(self, query: ReviewQuery) -> tuple[str, tuple[Any, ...]]:
        """The rows to count (start time, severity, reviewed by ``query.user``) and their parameters."""
        source, where, params = self._where(query)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        return (f"SELECT review_segments.start_time, review_segments.severity, {_REVIEWED} AS reviewed "
                f"FROM {source} {clause}", (query.user or "", *params))


# Whether the user (a parameter) marked the row (see the module's docstring).
_REVIEWED = ("EXISTS (SELECT 1 FROM review_status WHERE review_status.review_id = review_segments.id "
             "AND review_status.username = ?)")
_HOURLY_COUNTS = ("total(CASE WHEN username = ? AND severity = 'alert' THEN items END) AS reviewed_alert, "
                  "total(CASE WHEN username = ? AND severity = 'detection' THEN items END) AS reviewed_detection, "
                  "total(CASE WHEN username = '' AND severity = 'alert' THEN items END) AS total_alert, "
                  "total(CASE WHEN username = '' AND severity = 'detection' THEN items END) AS total_detection")
# The label sets counted in review_labelset_hours, each once: a step down its key per set, not a scan.
_LABEL_SETS = ("WITH RECURSIVE sets (labels) AS (SELECT min(labels) FROM review_labelset_hours UNION ALL "
               "SELECT (SELECT min(labels) FROM review_labelset_hours WHERE labels > sets.labels) FROM sets "
               "WHERE sets.labels IS NOT NULL) SELECT labels FROM sets WHERE labels IS NOT NULL")
_COUNT_NAMES = ("reviewed_alert", "reviewed_detection", "total_alert", "total_detection")
_COUNTS = ("total(severity = 'alert' AND reviewed) AS reviewed_alert, "
           "total(severity = 'detection' AND reviewed) AS reviewed_detection, "
           "total(severity = 'alert') AS total_alert, total(severity = 'detection') AS total_detection")
