"""Login sessions as JWTs (HS256), the format Frigate uses for ``frigate_token``.

A token carries ``sub`` (user name), ``role``, ``iat``, ``exp`` and ``sv``, the user's session
version when it was issued (see :mod:`securitycam.auth.users`). The signing secret is made once
and kept in the data directory (mode 0600, written atomically), so sessions survive a restart.
Expiry is checked against the appliance's clock seam rather than pyjwt's own, so tests step time
instead of waiting a day.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from securitycam.auth.users import User
from securitycam.clock import Clock
from securitycam.config import SettingsStore
from securitycam.fileio import write_atomic

ALGORITHM = "HS256"


class InvalidSession(ValueError):
    """A JWT that is malformed, forged, expired or revoked; the message says which."""


@dataclass(frozen=True)
class Session:
    username: str
    role: str
    issued_at: float
    expires_at: float
    version: int


def load_secret(path: Path) -> bytes:
    """The signing secret in ``path``, created (256 random bits) on first use."""
    try:
        secret = path.read_bytes().strip()
    except FileNotFoundError:
        secret = b""
    if len(secret) < 32:
        secret = secrets.token_hex(32).encode()
        write_atomic(path, secret + b"\n", mode=0o600)
    return secret


class SessionTokens:
    """Issue and check session JWTs; lengths come from ``Auth.session_length`` / ``refresh_time``."""

    def __init__(self, secret_file: Path, settings: SettingsStore, clock: Clock) -> None:
        self._secret = load_secret(secret_file)
        self._settings = settings
        self._clock = clock

    @property
    def session_length(self) -> int:
        return self._settings.get().Auth.session_length

    def issue(self, user: User) -> str:
        now = int(self._clock.time())
        claims = {
            "sub": user.username,
            "role": user.role,
            "iat": now,
            "exp": now + self.session_length,
            "sv": user.session_version,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def decode(self, token: str) -> Session:
        """The session in ``token``; raises :class:`InvalidSession` unless it is ours and current."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                options={"require": ["sub", "exp", "iat", "sv"], "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError as exc:
            raise InvalidSession("invalid session token") from exc
        if not isinstance(claims["exp"], int | float) or claims["exp"] <= self._clock.time():
            raise InvalidSession("session expired; log in again")
        return Session(str(claims["sub"]), str(claims.get("role")), claims["iat"], claims["exp"], claims["sv"])

    def needs_refresh(self, session: Session) -> bool:
        """Whether less than ``refresh_time`` is left, so the answer should carry a fresh token.

        The window is capped at half the session, so a short ``session_length`` alone does not
        make every request renew the token.
        """
        auth = self._settings.get().Auth
        return session.expires_at - self._clock.time() < min(auth.refresh_time, auth.session_length / 2)
