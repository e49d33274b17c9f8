"""The appliance's own authentication (``appliance-api.md``): one dashboard password, API tokens.

The password is hashed with argon2id (parameters chosen for a Pi Zero 2 W: 19 MiB, two passes,
one lane, OWASP's minimum for argon2id). Tokens are 256-bit random strings; only their SHA-256
is stored, which is enough for a secret with that much entropy and keeps each request's check at
microseconds. Every successful login issues a fresh token; ``regenerate`` revokes them all.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import threading
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from securitycam.clock import Clock
from securitycam.config import SettingsStore
from securitycam.fileio import write_atomic
from securitycam.store import Database, register_schema

log = logging.getLogger(__name__)

PASSWORD_MIN = 4
PASSWORD_MAX = 128
MAX_TOKENS = 50  # oldest sessions are forgotten past this many logins

register_schema(
    "auth",
    [
        """
        CREATE TABLE api_tokens (
            token_hash TEXT PRIMARY KEY,
            created REAL NOT NULL,
            last_used REAL
        );
        """
    ],
)

HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


class WrongPassword(ValueError):
    pass


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AuthService:
    def __init__(
        self,
        settings: SettingsStore,
        db: Database,
        password_file: Path,
        clock: Clock | None = None,
    ) -> None:
        self._settings = settings
        self._db = db
        self._password_file = password_file
        self._clock = clock or Clock()
        self._lock = threading.Lock()
        self._hashes: set[str] = {row["token_hash"] for row in db.query("SELECT token_hash FROM api_tokens")}

    # -- first start and reset -------------------------------------------------------------------
    def bootstrap(self, reset_markers: list[Path], env_password: str | None) -> None:
        """Set a first password if there is none, or reset auth if a ``reset-auth`` file exists.

        The password comes from ``env_password`` (``SECURITYCAM_PASSWORD``), else a random one is
        written to ``default-password.txt`` (mode 0600) for the owner to read once.
        """
        markers = [m for m in reset_markers if m.exists()]
        if markers:
            log.warning("auth reset requested by %s", ", ".join(str(m) for m in markers))
        elif self._settings.get().Auth.password_hash:
            return
        password = env_password or secrets.token_urlsafe(12)
        if env_password:
            self._password_file.unlink(missing_ok=True)
        else:
            write_atomic(self._password_file, password + "\n", mode=0o600)
            log.warning("dashboard password written to %s", self._password_file)
        self._store_password(password, enable=True)
        self._revoke_all()
        for marker in markers:
            try:
                marker.unlink()
            except OSError as exc:
                log.error("could not remove %s: %s", marker, exc)

    # -- state -----------------------------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return self._settings.get().Auth.enabled

    def check_password(self, password: str) -> bool:
        stored = self._settings.get().Auth.password_hash
        if not stored or not isinstance(password, str):
            return False
        try:
            HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
        if HASHER.check_needs_rehash(stored):
            self._store_password(password)
        return True

    def check_token(self, token: str | None) -> bool:
        if not token:
            return False
        # Looked up by SHA-256 digest: any timing difference is about the digest, which tells an
        # attacker nothing about which token would match.
        digest = _token_hash(token)
        with self._lock:
            return digest in self._hashes

    # -- changes ---------------------------------------------------------------------------------
    def issue_token(self) -> str:
        token = secrets.token_urlsafe(32)
        digest = _token_hash(token)
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT INTO api_tokens (token_hash, created) VALUES (?, ?)", (digest, self._clock.time())
            )
            stale = tx.execute(
                "SELECT token_hash FROM api_tokens ORDER BY created DESC LIMIT -1 OFFSET ?", (MAX_TOKENS,)
            ).fetchall()
            tx.executemany("DELETE FROM api_tokens WHERE token_hash = ?", [(r["token_hash"],) for r in stale])
        with self._lock:
            self._hashes.add(digest)
            self._hashes.difference_update(r["token_hash"] for r in stale)
        return token

    def regenerate(self) -> str:
        """Invalidate every token and return a single new one."""
        self._revoke_all()
        return self.issue_token()

    def set_password(self, current: str, new: str) -> None:
        if not self.check_password(current):
            raise WrongPassword("current password is wrong")
        self._store_password(new)
        self._password_file.unlink(missing_ok=True)

    def _store_password(self, password: str, enable: bool = False) -> None:
        hashed = HASHER.hash(password)

        def change(settings):  # type: ignore[no-untyped-def]
            settings.Auth.password_hash = hashed
            if enable:
                settings.Auth.enabled = True

        self._settings.modify(change)

    def _revoke_all(self) -> None:
        with self._db.transaction() as tx:
            tx.execute("DELETE FROM api_tokens")
        with self._lock:
            self._hashes.clear()


def env_password() -> str | None:
    value = os.environ.get("SECURITYCAM_PASSWORD", "")
    return value if PASSWORD_MIN <= len(value) <= PASSWORD_MAX else None
