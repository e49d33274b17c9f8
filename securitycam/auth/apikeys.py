"""Named API keys (VibeNVR's personal access tokens): for Home Assistant and scripts.

A key is shown once, when made; only its SHA-256 is kept (256 random bits need no slow hash, and
the per-request check stays at microseconds). A key acts as the user who made it, with that
user's role *now*, so demoting or deleting the user changes or ends what their keys can do.
``last_used`` is written at most once a minute per key, to spare the SD card a write per request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from sqlite3 import Row

from securitycam import diskfull
from securitycam.clock import Clock
from securitycam.store import Database

KEY_PREFIX = "sck_"
LAST_USED_RESOLUTION = 60.0


class InvalidApiKey(ValueError):
    """An unknown, revoked or expired key; the message says which."""


@dataclass(frozen=True)
class ApiKey:
    id: int
    name: str
    username: str
    created: float
    expires_at: float | None
    last_used: float | None

    @classmethod
    def from_row(cls, row: Row) -> ApiKey:
        return cls(row["id"], row["name"], row["username"], row["created"], row["expires_at"], row["last_used"])


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


_SELECT = "SELECT k.*, u.username FROM api_keys k JOIN users u ON u.id = k.user_id"


class ApiKeyStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def create(self, user_id: int, name: str, expires_at: float | None) -> tuple[ApiKey, str]:
        """Make a key for ``user_id``; returns the record and the key itself (never stored)."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        with self._db.transaction() as tx:
            cursor = tx.execute(
                "INSERT INTO api_keys (user_id, name, key_hash, created, expires_at) VALUES (?, ?, ?, ?, ?)",
                (user_id, name, _digest(key), self._clock.time(), expires_at),
            )
        row = self._db.query_one(f"{_SELECT} WHERE k.id = ?", (cursor.lastrowid,))
        assert row is not None
        return ApiKey.from_row(row), key

    def all(self) -> list[ApiKey]:
        return [ApiKey.from_row(row) for row in self._db.query(f"{_SELECT} ORDER BY k.created")]

    def revoke(self, key_id: int) -> bool:
        with self._db.transaction() as tx:
            return tx.execute("DELETE FROM api_keys WHERE id = ?", (key_id,)).rowcount == 1

    def revoke_all(self) -> None:
        with self._db.transaction() as tx:
            tx.execute("DELETE FROM api_keys")

    def check(self, key: str) -> int:
        """The id of the user ``key`` acts as; raises :class:`InvalidApiKey`."""
        row = self._db.query_one(
            "SELECT id, user_id, expires_at, last_used FROM api_keys WHERE key_hash = ?", (_digest(key),)
        )
        if row is None:
            raise InvalidApiKey("invalid or revoked API key")
        now = self._clock.time()
        if row["expires_at"] is not None and row["expires_at"] <= now:
            raise InvalidApiKey("API key expired")
        if row["last_used"] is None or now - row["last_used"] >= LAST_USED_RESOLUTION:
            # A key must keep working on a full disk: its last use is only nice to know.
            with diskfull.best_effort("noting an API key's last use"), self._db.transaction() as tx:
                tx.execute("UPDATE api_keys SET last_used = ? WHERE id = ?", (now, row["id"]))
        return int(row["user_id"])
