"""The account parts below HTTP, on a real SQLite file."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from securitycam.auth import passwords
from securitycam.auth.apikeys import ApiKeyStore, InvalidApiKey
from securitycam.auth.passwords import verify_password
from securitycam.auth.sessions import load_secret
from securitycam.auth.twofactor import recovery_hash
from securitycam.auth.users import UserError, UserStore
from securitycam.clock import ManualClock
from securitycam.store import Database


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "test.db")
    database.migrate()
    yield database
    database.close()


def test_user_names_are_unique_ignoring_case(db: Database):
    users = UserStore(db, ManualClock())
    users.create("Alice", "secret one", "viewer")
    with pytest.raises(UserError) as taken:
        users.create("alice", "secret two", "admin")
    assert taken.value.status == 409
    assert users.get("ALICE").username == "Alice"
    assert users.check_password("alice", "secret one") is not None
    assert users.check_password("alice", "secret two") is None
    assert users.check_password("nobody", "secret one") is None


def test_passwords_are_stored_as_argon2id(db: Database):
    user = UserStore(db, ManualClock()).create("bob", "bob's secret", "viewer")
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(user.password_hash, "bob's secret") and not verify_password(user.password_hash, "x")
    assert not verify_password(user.password_hash, None)


def test_a_totp_step_can_be_claimed_once_and_never_an_older_one(db: Database):
    users = UserStore(db, ManualClock())
    user = users.create("carol", "carol's secret", "viewer")
    assert users.claim_totp_step(user.id, 100)
    assert not users.claim_totp_step(user.id, 100)
    assert not users.claim_totp_step(user.id, 99)
    assert users.claim_totp_step(user.id, 101)


def test_recovery_codes_are_typed_loosely():
    assert recovery_hash("ABCD-EFGH-IJKL-MNOP") == recovery_hash(" abcd efgh-ijkl mnop ")
    assert recovery_hash("ABCD-EFGH-IJKL-MNOP") != recovery_hash("ABCD-EFGH-IJKL-MNOQ")


def test_api_keys_expire_and_are_revoked(db: Database):
    clock = ManualClock()
    user = UserStore(db, clock).create("dave", "dave's secret", "admin")
    keys = ApiKeyStore(db, clock)
    record, key = keys.create(user.id, "ha", expires_at=clock.time() + 10)
    assert keys.check(key) == user.id
    clock.advance(10)
    with pytest.raises(InvalidApiKey, match="expired"):
        keys.check(key)
    assert keys.revoke(record.id) and not keys.revoke(record.id)
    with pytest.raises(InvalidApiKey, match="revoked"):
        keys.check(key)


def test_the_session_secret_is_made_once_privately(tmp_path: Path):
    path = tmp_path / "session-secret"
    secret = load_secret(path)
    assert len(secret) == 64 and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_secret(path) == secret
    path.write_bytes(b"short")  # a damaged file is replaced, never used as a weak key
    assert load_secret(path) not in (secret, b"short")


def test_at_most_two_password_hashes_run_at_once(monkeypatch: pytest.MonkeyPatch):
    # Each argon2 run takes 19 MiB: a burst of logins must not take 64 times that on a 512 MB Pi.
    real = passwords.HASHER

    class CountingHasher:
        running = peak = 0
        lock = threading.Lock()

        def verify(self, stored: str, password: str) -> bool:
            with self.lock:
                self.running += 1
                self.peak = max(self.peak, self.running)
            try:
                return real.verify(stored, password)
            finally:
                with self.lock:
                    self.running -= 1

    counting = CountingHasher()
    stored = passwords.hash_password("burst")
    monkeypatch.setattr(passwords, "HASHER", counting)
    threads = [threading.Thread(target=passwords.verify_password, args=(stored, "burst")) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counting.peak == passwords.CONCURRENT_CHECKS
