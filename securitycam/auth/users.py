"""Users, their roles and their second factor, in SQLite.

Two roles, as in Frigate: ``admin`` may change anything, ``viewer`` may read and watch. The user
named ``admin`` is the appliance's first account (its password is the dashboard password of
``appliance-api.md``); it can be neither deleted nor demoted, so ``reset-auth`` always has an
account to give back to the owner.

Each user has a ``session_version``: every session (JWT) carries the version it was issued under,
and bumping it (password change, ``reset-auth``) ends every session of that user at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from sqlite3 import IntegrityError, Row

from securitycam import diskfull
from securitycam.auth.passwords import hash_password, needs_rehash, verify_password
from securitycam.clock import Clock
from securitycam.store import Database, register_schema

ADMIN = "admin"
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

register_schema(
    "accounts",
    [
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            role TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
            password_hash TEXT NOT NULL,
            created REAL NOT NULL,
            session_version INTEGER NOT NULL DEFAULT 0,
            totp_secret TEXT,
            totp_enabled INTEGER NOT NULL DEFAULT 0,
            totp_last_step INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE recovery_codes (
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            code_hash TEXT NOT NULL,
            PRIMARY KEY (user_id, code_hash)
        );
        CREATE TABLE api_keys (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            key_hash TEXT NOT NULL UNIQUE,
            created REAL NOT NULL,
            expires_at REAL,
            last_used REAL
        );
        """
    ],
)


class UserError(ValueError):
    """A user change that cannot be made (unknown user, taken name, the protected admin)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    password_hash: str
    created: float
    session_version: int
    totp_secret: str | None
    totp_enabled: bool
    totp_last_step: int

    @classmethod
    def from_row(cls, row: Row) -> User:
        return cls(**{**dict(row), "totp_enabled": bool(row["totp_enabled"])})


def check_username(username: str) -> str:
    if not USERNAME_PATTERN.match(username):
        raise UserError(400, "username must be 1 to 64 letters, digits, '.', '_' or '-'")
    return username


class UserStore:
    """Create, find, check and change users; every change is one transaction."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    # -- reading ---------------------------------------------------------------------------------
    def get(self, username: str) -> User | None:
        row = self._db.query_one("SELECT * FROM users WHERE username = ?", (username,))
        return User.from_row(row) if row else None

    def require(self, username: str) -> User:
        user = self.get(username)
        if user is None:
            raise UserError(404, f"user {username!r} not found")
        return user

    def by_id(self, user_id: int) -> User | None:
        row = self._db.query_one("SELECT * FROM users WHERE id = ?", (user_id,))
        return User.from_row(row) if row else None

    def all(self) -> list[User]:
        return [User.from_row(row) for row in self._db.query("SELECT * FROM users ORDER BY username")]

    def check_password(self, username: str, password: object) -> User | None:
        """The user if ``password`` is theirs, else ``None`` (in the same time for unknown users)."""
        user = self.get(username) if isinstance(username, str) else None
        if not verify_password(user.password_hash if user else None, password):
            return None
        assert user is not None and isinstance(password, str)
        if needs_rehash(user.password_hash):
            with diskfull.best_effort(f"rehashing the password of {username!r}"):
                self._execute("UPDATE users SET password_hash = ? WHERE id = ?", (hash_password(password), user.id))
        return user

    # -- changing --------------------------------------------------------------------------------
    def create(self, username: str, password: str, role: str = "viewer", *, hashed: bool = False) -> User:
        """Add a user; ``hashed`` means ``password`` is already an argon2 hash (the foundation's)."""
        check_username(username)
        try:
            self._execute(
                "INSERT INTO users (username, role, password_hash, created) VALUES (?, ?, ?, ?)",
                (username, role, password if hashed else hash_password(password), self._clock.time()),
            )
        except IntegrityError as exc:
            raise UserError(409, f"user {username!r} already exists") from exc
        return self.require(username)

    def set_password(self, username: str, password: str) -> User:
        """Change the password and end the user's sessions (a changed password is often a stolen one)."""
        self.require(username)
        self._execute(
            "UPDATE users SET password_hash = ?, session_version = session_version + 1 WHERE username = ?",
            (hash_password(password), username),
        )
        return self.require(username)

    def set_role(self, username: str, role: str) -> User:
        user = self.require(username)
        if user.username == ADMIN and role != "admin":
            raise UserError(403, "the admin user's role cannot be changed")
        self._execute("UPDATE users SET role = ? WHERE id = ?", (role, user.id))
        return self.require(username)

    def delete(self, username: str) -> None:
        user = self.require(username)
        if user.username == ADMIN:
            raise UserError(403, "the admin user cannot be deleted")
        self._execute("DELETE FROM users WHERE id = ?", (user.id,))

    def end_all_sessions(self) -> None:
        self._execute("UPDATE users SET session_version = session_version + 1")

    # -- second factor ---------------------------------------------------------------------------
    def set_totp(self, user_id: int, secret: str | None, enabled: bool, recovery_hashes: list[str]) -> None:
        """Replace the user's TOTP secret, its state and recovery codes in one step."""
        with self._db.transaction() as tx:
            tx.execute(
                "UPDATE users SET totp_secret = ?, totp_enabled = ?, totp_last_step = 0 WHERE id = ?",
                (secret, int(enabled), user_id),
            )
            tx.execute("DELETE FROM recovery_codes WHERE user_id = ?", (user_id,))
            tx.executemany(
                "INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)",
                [(user_id, code_hash) for code_hash in recovery_hashes],
            )

    def claim_totp_step(self, user_id: int, step: int) -> bool:
        """Record ``step`` as used; ``False`` if it (or a later one) was used already: no replays."""
        with self._db.transaction() as tx:
            cursor = tx.execute(
                "UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?", (step, user_id, step)
            )
        return cursor.rowcount == 1

    def claim_recovery_code(self, user_id: int, code_hash: str) -> bool:
        """Use up a recovery code; ``False`` if it is not (or no longer) one of the user's."""
        with self._db.transaction() as tx:
            cursor = tx.execute("DELETE FROM recovery_codes WHERE user_id = ? AND code_hash = ?", (user_id, code_hash))
        return cursor.rowcount == 1

    def recovery_codes_left(self, user_id: int) -> int:
        row = self._db.query_one("SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = ?", (user_id,))
        return int(row["n"]) if row else 0

    def _execute(self, sql: str, params: tuple = ()) -> None:
        with self._db.transaction() as tx:
            tx.execute(sql, params)
