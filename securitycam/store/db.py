"""The one module that owns ``securitycam.db``.

Each part of the appliance declares its own tables with :func:`register_schema` under a
component name ("auth", "recorder", ...), as an ordered list of migration steps. The database
remembers how many steps of each component it has applied, so a part can add step N+1 later
without renumbering anyone else's. Steps run inside a transaction: a crash mid-migration leaves
the previous version intact.

Connections are per thread (sqlite3 objects must not cross threads); WAL mode lets the API read
while a recorder thread writes.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

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

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._write_lock = threading.RLock()

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            # Token and key hashes live here; SQLite gives its -wal and -shm files the same mode.
            self.path.chmod(0o600)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=10000")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def execute(self, sql: str, params: tuple | dict = ()) -> sqlite3.Cursor:
        return self.connection().execute(sql, params)

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
            for conn in self._all:
                with suppress(sqlite3.ProgrammingError):
                    conn.close()
            self._all.clear()
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
