"""The appliance's own authentication (``appliance-api.md``): the dashboard password, API tokens.

The dashboard password is the password of the ``admin`` user (:mod:`securitycam.auth.users`,
hashed with argon2id, see :mod:`securitycam.auth.passwords`). Tokens are 256-bit random strings;
only their SHA-256 is stored, which is enough for a secret with that much entropy and keeps each
request's check at microseconds. Every successful login issues a fresh token; ``regenerate``
revokes them all. Tokens act as ``admin``. A login on a full disk still gets its token: one that
cannot be stored is kept in memory only, and lasts until the next restart.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import sqlite3
import threading
from pathlib import Path

from securitycam import diskfull
from securitycam.auth.apikeys import ApiKeyStore
from securitycam.auth.passwords import PASSWORD_MAX, PASSWORD_MIN
from securitycam.auth.users import ADMIN, UserStore
from securitycam.clock import Clock
from securitycam.config import SettingsStore
from securitycam.fileio import write_atomic
from securitycam.store import Database, register_schema

log = logging.getLogger(__name__)

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

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AuthService:
    def __init__(
        self,
        settings: SettingsStore,
        db: Database,
        users: UserStore,
        keys: ApiKeyStore,
        password_file: Path,
        clock: Clock | None = None,
    ) -> None:
        self._settings = settings
        self._db = db
        self._users = users
        self._keys = keys
        self._password_file = password_file
        self._clock = clock or Clock()
        self._lock = threading.Lock()
        self._hashes: set[str] = {row["token_hash"] for row in db.query("SELECT token_hash FROM api_tokens")}

    # -- first start and reset -------------------------------------------------------------------
    def bootstrap(self, reset_markers: list[Path], env_password: str | None) -> bool:
        """Make the ``admin`` user on a first start, or reset auth if a ``reset-auth`` file exists.

        The password comes from ``env_password`` (``SECURITYCAM_PASSWORD``), else a random one is
        written to ``default-password.txt`` (mode 0600) for the owner to read once. An appliance
        set up before user accounts keeps its dashboard password: it becomes ``admin``'s.
        A reset also turns off ``admin``'s second factor and revokes every session, token and
        API key: whoever had the old password may have made some. Returns whether ``admin``'s
        password was set from ``env_password`` now.
        """
        markers = [m for m in reset_markers if m.exists()]
        legacy_hash = self._settings.get().Auth.password_hash
        if markers:
            log.warning("auth reset requested by %s", ", ".join(str(m) for m in markers))
        elif self._users.get(ADMIN):
            return False
        elif legacy_hash:
            self._users.create(ADMIN, legacy_hash, "admin", hashed=True)
            self._forget_legacy_hash()
            log.info("the dashboard password is now the password of user %r", ADMIN)
            return False
        password = env_password or secrets.token_urlsafe(12)
        if env_password:
            self._password_file.unlink(missing_ok=True)
        else:
            write_atomic(self._password_file, password + "\n", mode=0o600)
            log.info("dashboard password (user %r) written to %s", ADMIN, self._password_file)
        self._reset_admin(password)
        for marker in markers:
            try:
                marker.unlink()
            except OSError as exc:
                log.error("could not remove %s: %s", marker, exc)
        return bool(env_password)

    # -- state -----------------------------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return self._settings.get().Auth.enabled

    def check_password(self, password: str) -> bool:
        """Whether ``password`` is the dashboard password (the ``admin`` user's)."""
        return self._users.check_password(ADMIN, password) is not None

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
        stale: list[sqlite3.Row] = []
        stored = diskfull.best_effort("storing a new API token (it works until the next restart)")
        with stored, self._db.transaction() as tx:
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

    def password_changed(self, username: str) -> None:
        """Forget the first-start password file once ``admin`` has chosen their own."""
        if username == ADMIN:
            self._password_file.unlink(missing_ok=True)

    def _reset_admin(self, password: str) -> None:
        admin = self._users.get(ADMIN)
        if admin is None:
            self._users.create(ADMIN, password, "admin")
        else:
            self._users.set_password(ADMIN, password)
            self._users.set_totp(admin.id, None, enabled=False, recovery_hashes=[])
        self._users.end_all_sessions()
        self._keys.revoke_all()
        self._revoke_all()
        self._forget_legacy_hash(enable=True)

    def _forget_legacy_hash(self, enable: bool = False) -> None:
        def change(settings):  # type: ignore[no-untyped-def]
            settings.Auth.password_hash = None
            if enable:
                settings.Auth.enabled = True

        self._settings.modify(change)

    def _revoke_all(self) -> None:
        with self._db.transaction() as tx:
            tx.execute("DELETE FROM api_tokens")
        with self._lock:
            self._hashes.clear()


def env_password() -> str | None:
    """``SECURITYCAM_PASSWORD`` if set to a usable password (one out of bounds is refused, loudly)."""
    value = os.environ.get("SECURITYCAM_PASSWORD", "")
    if not value:
        return None
    if not PASSWORD_MIN <= len(value) <= PASSWORD_MAX:
        log.error(
            "SECURITYCAM_PASSWORD ignored: a password must be %d to %d characters; a random one is used",
            PASSWORD_MIN, PASSWORD_MAX,
        )
        return None
    return value
