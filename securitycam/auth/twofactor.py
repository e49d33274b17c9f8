"""Two-factor login with TOTP (RFC 6238, what authenticator apps speak) and recovery codes.

Enrolling stores a secret that does nothing until the user proves their app has it by confirming
a code; only then is the factor required and ten recovery codes are handed out, once. A TOTP code
is accepted one 30-second step either side of now (clock drift) and never twice: the last step
used is remembered. Recovery codes carry 80 random bits, so a SHA-256 of each is enough to store
them (like API tokens) and checking one costs microseconds instead of ten argon2 runs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import pyotp

from securitycam.auth.users import User, UserStore
from securitycam.clock import Clock

ISSUER = "securitycam"
RECOVERY_CODES = 10
DRIFT_STEPS = 1


class TwoFactorError(ValueError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Enrollment:
    secret: str
    otpauth_uri: str


def recovery_hash(code: str) -> str:
    """The stored form of a recovery code; dashes, spaces and case do not matter when typing it."""
    normalized = "".join(code.split()).replace("-", "").upper()
    return hashlib.sha256(normalized.encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(10)).decode()  # 80 bits, 16 characters
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


class TwoFactor:
    """Enroll, confirm, check and disable the second factor of a user in ``users``."""

    def __init__(self, users: UserStore, clock: Clock) -> None:
        self._users = users
        self._clock = clock

    def enroll(self, user: User) -> Enrollment:
        if user.totp_enabled:
            raise TwoFactorError(409, "two-factor login is already on; disable it first")
        secret = pyotp.random_base32()
        self._users.set_totp(user.id, secret, enabled=False, recovery_hashes=[])
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
        return Enrollment(secret, uri)

    def confirm(self, user: User, code: str) -> list[str]:
        """Turn the factor on if ``code`` comes from the enrolled secret; return the recovery codes."""
        if user.totp_enabled:
            raise TwoFactorError(409, "two-factor login is already on")
        if not user.totp_secret:
            raise TwoFactorError(409, "enroll first: POST /auth/2fa/enroll")
        step = self._matching_step(user.totp_secret, code)
        if step is None:
            raise TwoFactorError(400, "code: does not match; check the authenticator app's clock")
        codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
        self._users.set_totp(user.id, user.totp_secret, enabled=True, recovery_hashes=[recovery_hash(c) for c in codes])
        self._users.claim_totp_step(user.id, step)
        return codes

    def verify(self, user: User, code: str) -> bool:
        """A current, unused TOTP code or an unused recovery code (which is then used up)."""
        if not user.totp_enabled or not user.totp_secret or not isinstance(code, str):
            return False
        step = self._matching_step(user.totp_secret, code)
        if step is not None:
            return self._users.claim_totp_step(user.id, step)
        return self._users.claim_recovery_code(user.id, recovery_hash(code))

    def disable(self, user: User) -> None:
        self._users.set_totp(user.id, None, enabled=False, recovery_hashes=[])

    def _matching_step(self, secret: str, code: str) -> int | None:
        code = "".join(code.split())
        if len(code) != 6 or not code.isdigit():
            return None
        totp = pyotp.TOTP(secret)
        now_step = totp.timecode(self._clock.time())
        for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
            if hmac.compare_digest(totp.generate_otp(step), code):
                return step
        return None
