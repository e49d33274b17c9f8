"""The one module that owns ``securitycam.db``.

Each part of the appliance declares its own tables with :func:`register_schema` under a
component name ("auth", "recorder", ...), as an ordered list of migration steps. The database
remembers how many steps of each component it has applied, so a part can add step N+1 later
without renumbering anyone else's. Steps run inside a transaction: a crash mid-migration leaves
the previous version intact.

A thread gets a connection of its own on first use (a sqlite3 connection must not be used by two
threads at once). Each connection carries its own page cache and prepared statements, so the
connections follow the threads using the database *at the same time*, not every thread that ever
did. Two kinds of threads use it:

- The services' long-lived threads keep their connection until they end (or call
  :meth:`Database.release`); it then goes to the idle pool if there is room, else it is closed.
- Request threads (hundreds with SSE) *borrow*: the web app marks each request with
  :meth:`Database.borrow` and gives the connection back when the request ends (see
  ``securitycam/app.py``). Borrowed connections come from a pool of ``pool_size``: a request that
  finds them all lent waits for one, so 64 requests at once still use ``pool_size`` connections.
  A request that waits :data:`POOL_WAIT` seconds (requests holding theirs through slow work) gets
  one of its own beyond the pool rather than stop: the appliance keeps answering.

Why a bound and not just "close what is not needed": SQLite's unix VFS cannot close a closed
connection's file descriptor while another connection of the process holds a lock on the file
(POSIX locks belong to the process: closing any descriptor of the file would drop them all), and
in WAL mode every open connection holds a shared lock. The descriptor waits on a list until the
process has no connection left, and is reused by the next connection opened. So the database
file's descriptors are as many as the most connections ever open at once, not those open now:
without the bound, a burst of requests left one descriptor each (up to 22 seen).
WAL mode lets the API read while a recorder thread writes.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from securitycam.worker import PeriodicWorker

log = logging.getLogger(__name__)

# As long as SQLite's busy timeout: a request may already wait that long for a writer.
POOL_WAIT = 10.0
# Each connection's page cache, in KiB (SQLite's default is 2000). It fills with every page a
# connection reads until it holds the whole database or this much: with a pool and the services'
# threads (8 connections and more), a database that grows past 2 MB (weeks of recordings rows) cost
# 16 MB or more of heap, a copy per connection of what the kernel's page cache already holds once.
# A writer every few seconds (the recorder) empties the other connections' caches anyway (WAL), so
# a large one saves little.
PAGE_CACHE_KIB = 512

Migration = str | Callable[[sqlite3.Connection], None]

_SCHEMAS: dict[str, list[Migration]] = {}


def register_schema(component: str, steps: list[Migration]) -> None:
    """Declare ``component``'s migrations; step ``i`` brings it to version ``i + 1``.

    Steps are SQL scripts or callables taking a connection. Registering again replaces the list
    (module reloads in tests), so never edit a step that has shipped: append a new one.
    """
    _SCHEMAS[component] = list(steps)


class Database:
    """Thread-safe access to the SQLite database at ``path``."""

    def __init__(self, path: Path, pool_size: int = 4, pool_wait: float = POOL_WAIT) -> None:
        self.path = Path(path)
        self.pool_size = pool_size
        self.pool_wait = pool_wait
        self._local = threading.local()
        # Each thread's connection, and whether it is borrowed from the pool (counted in _lent).
        self._held: dict[threading.Thread, tuple[sqlite3.Connection, bool]] = {}
        self._idle: list[sqlite3.Connection] = []
        self._lent = 0
        self._lock = threading.Lock()
        self._returned = threading.Condition(self._lock)
        self._write_lock = threading.RLock()

    def connection(self) -> sqlite3.Connection:
        """This thread's connection: borrowed from the pool, taken from its idle ones or opened on first use."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            borrowing = getattr(self._local, "borrowing", False)
            with self._lock:
                self._reclaim_from_ended_threads()
                lent = borrowing and self._wait_for_a_pooled_connection()
                conn = self._idle.pop() if self._idle else None
                self._lent += lent
            if conn is None:
                try:
                    conn = self._open()
                except BaseException:
                    with self._lock:
                        self._give_back(None, lent)
                    raise
            with self._lock:
                self._held[threading.current_thread()] = (conn, lent)
            self._local.conn = conn
        return conn

    def borrow(self) -> None:
        """This thread's connections come from the bounded pool (waiting for one when all are lent)
        until :meth:`end_borrowing`: for a request thread, whose connection is given back each request."""
        self._local.borrowing = True

    def release(self) -> None:
        """Give this thread's connection back to the pool (if it has one); its next use takes one again."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            return
        self._local.conn = None
        with self._lock:
            _, lent = self._held.pop(threading.current_thread(), (conn, False))
            self._give_back(conn, lent)

    def end_borrowing(self) -> None:
        """Give this thread's connection back; its next connection is its own again (see :meth:`borrow`)."""
        self.release()
        self._local.borrowing = False

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._held) + len(self._idle)

    def _wait_for_a_pooled_connection(self) -> bool:
        """Under the lock: True once one of the pool's connections may be lent, False after
        ``pool_wait`` seconds (the caller then gets a connection beyond the pool)."""
        if self._returned.wait_for(lambda: self._lent < self.pool_size, timeout=self.pool_wait):
            return True
        log.warning("all %d pooled database connections stayed lent for %g s: a request gets its own",
                    self.pool_size, self.pool_wait)
        return False

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        # Token and key hashes live here; SQLite gives its -wal and -shm files the same mode.
        self.path.chmod(0o600)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")
        return conn

    def _give_back(self, conn: sqlite3.Connection | None, lent: bool) -> None:
        """Under the lock: ``conn`` (None if it could not be opened) goes idle if the pool has room."""
        if lent:
            self._lent -= 1
            self._returned.notify()
        if conn is None:
            return
        # A transaction left open (a bug elsewhere) must not reach the next thread: roll it back by closing.
        if conn.in_transaction or self._lent + len(self._idle) >= self.pool_size:
            conn.close()
        else:
            self._idle.append(conn)

    def _reclaim_from_ended_threads(self) -> None:
        for thread in [thread for thread in self._held if not thread.is_alive()]:
            self._give_back(*self._held.pop(thread))

    def execute(self, sql: str, params: tuple | dict = ()) -> sqlite3.Cursor:
        return self.connection().execute(sql, params)

    def tuples(self, sql: str, params: tuple | dict = ()) -> sqlite3.Cursor:
        """Rows as plain tuples (no :class:`sqlite3.Row` per row: cheaper when there are many)."""
        cursor = self.connection().cursor()
        cursor.row_factory = None
        return cursor.execute(sql, params)

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        return self.connection().execute(sql, params).fetchall()

    def query_one(self, sql: str, params: tuple | dict = ()) -> sqlite3.Row | None:
        return self.connection().execute(sql, params).fetchone()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE), committed on success, rolled back on error."""
        conn = self.connection()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.Error:
                # A COMMIT that fails (a full disk) may leave the transaction open, holding the write
                # lock for every other connection: SQLite's advice is an explicit ROLLBACK.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def migrate(self) -> dict[str, int]:
        """Apply every registered component's pending steps; return the versions now in place."""
        conn = self.connection()
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
        )
        versions: dict[str, int] = {}
        for component, steps in _SCHEMAS.items():
            row = conn.execute(
                "SELECT version FROM schema_versions WHERE component = ?", (component,)
            ).fetchone()
            current = row["version"] if row else 0
            for number, step in enumerate(steps[current:], start=current + 1):
                with self.transaction() as tx:
                    if callable(step):
                        step(tx)
                    else:
                        for statement in _split_sql(step):
                            tx.execute(statement)
                    tx.execute(
                        "INSERT INTO schema_versions (component, version) VALUES (?, ?) "
                        "ON CONFLICT(component) DO UPDATE SET version = excluded.version",
                        (component, number),
                    )
                current = number
            versions[component] = current
        return versions

    def close(self) -> None:
        with self._lock:
            for conn in [*(conn for conn, _ in self._held.values()), *self._idle]:
                with suppress(sqlite3.ProgrammingError):
                    conn.close()
            self._held.clear()
            self._idle.clear()
            self._lent = 0
            self._returned.notify_all()
        self._local = threading.local()


def _split_sql(script: str) -> list[str]:
    """Split a migration script into statements (executescript would commit our transaction).

    Pieces are joined back until SQLite says the statement is complete, so a ``;`` inside a
    string literal or a trigger body does not split it.
    """
    statements, buffer = [], ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \n\t;"):
                statements.append(buffer.strip())
            buffer = ""
    return statements


def prefix_filter(column: str, within: str | None, outside: Sequence[str]) -> tuple[str, list[str]]:
    """``AND`` clauses keeping ``column`` below the ``within`` prefix and out of every ``outside`` one
    (range comparisons, so the path's UNIQUE index serves them), with their parameters."""
    clauses: list[str] = []
    params: list[str] = []
    if within is not None:
        clauses.append(f"AND {column} > ? AND {column} < ?")
        params += [within, within + "\uffff"]
    for prefix in outside:
        clauses.append(f"AND NOT ({column} > ? AND {column} < ?)")
        params += [prefix, prefix + "\uffff"]
    return " ".join(clauses), params


# -- backfills ------------------------------------------------------------------------------------
# A table that triggers keep (a summary) and that a migration adds over rows already there would make
# the first start after the update wait while it counts them all (a minute and more on a Pi with a
# year of events). Instead, the migration creates it empty and notes in ``backfills`` the first UTC
# day of the rows it must count (``filled_below``); the triggers count a row only when its day is
# below that, and :class:`Backfiller` counts the rest a day per transaction, moving ``filled_below``
# on in the same transaction (so a row is counted once, by one or the other). Readers add what the
# days from ``filled_below`` on would count, read from the rows themselves, until it reaches FILLED.
FILLED = 1 << 62


def start_backfill(tx: sqlite3.Connection, name: str, first_day: str) -> None:
    """Note that ``name`` is to be filled from ``first_day`` (SQL giving a UTC day, NULL: nothing to fill)."""
    tx.execute("CREATE TABLE IF NOT EXISTS backfills (name TEXT PRIMARY KEY, filled_below INTEGER NOT NULL)")
    tx.execute(f"INSERT OR REPLACE INTO backfills (name, filled_below) VALUES (?, coalesce(({first_day}), {FILLED}))",
               (name,))


def filled_below(name: str) -> str:
    """SQL for the first UTC day that ``name``'s table does not count yet (FILLED once it counts every day)."""
    return f"(SELECT filled_below FROM backfills WHERE name = '{name}')"


@dataclass(frozen=True)
class Backfill:
    """How to fill ``name``'s table: ``fill_day`` counts a UTC day's rows of ``source`` (a table with a
    ``start_time``, epoch seconds) into it."""

    name: str
    source: str
    fill_day: Callable[[sqlite3.Connection, int], None]

    def next_day(self, tx: sqlite3.Connection, day: int) -> int | None:
        """The first UTC day after ``day`` that has rows (None: none has), found on the start time index."""
        row = tx.execute(f"SELECT CAST(start_time / 86400 AS INTEGER) FROM {self.source} WHERE start_time >= ? "
                         "AND CAST(start_time / 86400 AS INTEGER) > ? ORDER BY start_time LIMIT 1",
                         ((day + 1) * 86400 - 1, day)).fetchone()
        return int(row[0]) if row else None

    def pending(self, db: Database) -> bool:
        row = db.query_one("SELECT filled_below FROM backfills WHERE name = ?", (self.name,))
        return row is not None and row[0] < FILLED

    def step(self, db: Database) -> bool:
        """Count the next day in; whether days remain."""
        with db.transaction() as tx:
            row = tx.execute("SELECT filled_below FROM backfills WHERE name = ?", (self.name,)).fetchone()
            if row is None or row[0] >= FILLED:
                return False
            self.fill_day(tx, row[0])
            following = self.next_day(tx, row[0])
            tx.execute("UPDATE backfills SET filled_below = ? WHERE name = ?",
                       (FILLED if following is None else following, self.name))
        return following is not None


class Backfiller:
    """Runs the pending :class:`Backfill` steps on a thread of its own, a day at a time with a pause
    between (writers get the database in between), then rests."""

    PAUSE = 0.01

    def __init__(self, db: Database, backfills: Sequence[Backfill]) -> None:
        self._db = db
        self._backfills = list(backfills)
        self._worker = PeriodicWorker("backfill", self.step, lambda: self.PAUSE if self._pending else 3600.0,
                                      immediately=True)
        self._pending = True

    def step(self) -> None:
        self._pending = any([backfill.step(self._db) for backfill in self._backfills if backfill.pending(self._db)])

    def run(self) -> None:
        """Fill everything now (tests, benchmarks)."""
        while any([backfill.step(self._db) for backfill in self._backfills]):
            pass
        self._pending = False

    def start(self) -> None:
        self._worker.start()

    def stop(self) -> None:
        self._worker.stop()
