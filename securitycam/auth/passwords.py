"""Password hashing: argon2id with parameters sized for a Pi Zero 2 W.

19 MiB of memory, two passes, one lane: OWASP's minimum recommendation for argon2id. Memory is
what makes argon2 expensive for a GPU farm; 19 MiB per check is affordable on a 512 MB board that
also runs ffmpeg, and one lane matches a request thread (the board has four slow cores shared with
the recorder). A check costs tens of milliseconds here and a few hundred on the Pi (see
``bench/auth_checks.py``). Failed logins are rate limited, and at most
:data:`CONCURRENT_CHECKS` hashes run at once (others wait their turn): 16 API threads each
hashing at the same moment would already ask for 300 MiB, more than the board can spare.
"""

from __future__ import annotations

import threading
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

PASSWORD_MIN = 4
PASSWORD_MAX = 128
CONCURRENT_CHECKS = 2

_slots = threading.BoundedSemaphore(CONCURRENT_CHECKS)


def hash_password(password: str) -> str:
    with _slots:
        return HASHER.hash(password)


def verify_password(stored: str | None, password: object) -> bool:
    """Whether ``password`` matches ``stored``; an unknown user still costs one full check.

    Spending the same time whether or not the account exists keeps a login from telling an
    attacker which user names are real.
    """
    if not isinstance(password, str):
        return False
    against = stored or _decoy_hash()
    try:
        with _slots:
            return HASHER.verify(against, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return HASHER.check_needs_rehash(stored)


@cache
def _decoy_hash() -> str:
    return HASHER.hash("no such user: this hash only spends time")
