"""Brute force: every password and code check is limited per (client, user), per client and, against
guessing spread over many clients, per user, with 429 and Retry-After; failures are logged without
the password. One client's failures never lock another client out."""

from __future__ import annotations

import logging

import pyotp
from flask import Flask

from securitycam.auth.accounts import CLIENT_FAILURES, FAILURE_WINDOW, PAIR_FAILURES, USER_FAILURES
from securitycam.auth.ratelimit import RateLimiter
from securitycam.clock import ManualClock
from tests.accounts.conftest import VIEWER, VIEWER_PASSWORD
from tests.conftest import PASSWORD

ATTACKER, OWNER = "10.0.0.66", "10.0.0.5"


def _login(app: Flask, username: str, password: str, address: str = OWNER, **extra: str):  # type: ignore[no-untyped-def]
    return app.test_client().post(
        "/auth/login", data={"username": username, "password": password, **extra},
        environ_base={"REMOTE_ADDR": address},
    )


def _owner_logins(app: Flask) -> list[int]:
    """The owner's right password on every login entry point, from the owner's own address."""
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = OWNER
    return [
        owner.post("/auth/validate", json={"password": PASSWORD}).status_code,
        owner.post("/auth/login", data={"username": "admin", "password": PASSWORD}).status_code,
        owner.post("/api/login", json={"user": "admin", "password": PASSWORD}).status_code,
    ]


def test_one_client_guessing_is_stopped_and_never_locks_the_owner_out(app: Flask, clock: ManualClock, caplog):
    caplog.set_level(logging.WARNING, "securitycam.auth")
    # The attacker keeps guessing for three windows, as fast as it is let through.
    for _window in range(3):
        statuses = [_login(app, "admin", f"guess-{n}", ATTACKER).status_code for n in range(PAIR_FAILURES + 3)]
        assert statuses == [401] * PAIR_FAILURES + [429] * 3
        limited = _login(app, "admin", PASSWORD, ATTACKER)  # even the right password, from that client
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) == FAILURE_WINDOW
        assert "too many failed attempts" in limited.json["message"]
        assert _owner_logins(app) == [200, 200, 200]
        clock.advance(FAILURE_WINDOW)
    assert f"failed login for user 'admin' from {ATTACKER}" in caplog.text
    assert "guess-" not in caplog.text


def test_guessing_spread_over_many_clients_hits_the_per_user_limit(app: Flask, clock: ManualClock):
    clients = [f"10.0.1.{n}" for n in range(USER_FAILURES // PAIR_FAILURES)]
    assert len(clients) > 1, "one client alone must not be able to reach the per-user limit"
    for address in clients:
        for attempt in range(PAIR_FAILURES):
            assert _login(app, "admin", f"guess-{attempt}", address).status_code == 401
    limited = _login(app, "admin", PASSWORD, "10.0.2.1")  # a client that never failed
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) == FAILURE_WINDOW
    assert _login(app, VIEWER, "other user, other count", "10.0.2.1").status_code == 401
    clock.advance(FAILURE_WINDOW)
    assert _login(app, "admin", PASSWORD, "10.0.2.1").status_code == 200


def test_failed_logins_from_one_client_are_limited_across_users(app: Flask):
    users = [f"user{n}" for n in range(CLIENT_FAILURES // PAIR_FAILURES + 1)]
    attempts = [user for user in users for _ in range(PAIR_FAILURES)][:CLIENT_FAILURES]
    for user in attempts:
        assert _login(app, user, "guess", ATTACKER).status_code == 401
    assert _login(app, users[-1], "guess", ATTACKER).status_code == 429
    assert _login(app, "admin", PASSWORD, ATTACKER).status_code == 429
    assert _login(app, "admin", PASSWORD, OWNER).status_code == 200


def test_logging_in_to_an_own_account_does_not_clear_a_clients_record(app: Flask, viewer):
    for attempt in range(PAIR_FAILURES):
        assert _login(app, "admin", f"guess-{attempt}", ATTACKER).status_code == 401
    assert _login(app, VIEWER, VIEWER_PASSWORD, ATTACKER).status_code == 200
    assert _login(app, "admin", "guess-again", ATTACKER).status_code == 429


def test_two_factor_codes_are_limited_per_client(app: Flask, admin_session, clock: ManualClock):
    secret = admin_session.post("/auth/2fa/enroll", json={"password": PASSWORD}).json["secret"]
    code = pyotp.TOTP(secret).at(clock.time())
    assert admin_session.post("/auth/2fa/confirm", json={"code": code}).status_code == 200
    clock.advance(90)  # past the confirmation code's step: it may not be used twice
    for _ in range(PAIR_FAILURES):
        assert _login(app, "admin", PASSWORD, ATTACKER, totp_code="000000").status_code == 401
    assert _login(app, "admin", PASSWORD, ATTACKER, totp_code=pyotp.TOTP(secret).at(clock.time())).status_code == 429
    assert _login(app, "admin", PASSWORD, OWNER, totp_code=pyotp.TOTP(secret).at(clock.time())).status_code == 200


def test_every_entry_point_shares_the_limit(app: Flask, viewer, clock: ManualClock):
    anon = app.test_client()
    attempts = [
        lambda: anon.post("/auth/validate", json={"password": "guess"}),
        lambda: anon.post("/api/login", json={"user": "admin", "password": "guess"}),
        lambda: anon.post("/auth/login", data={"username": "admin", "password": "guess"}),
    ]
    statuses = [attempts[i % 3]().status_code for i in range(PAIR_FAILURES)]
    assert statuses == [200, 401, 401, 200, 401]  # validate answers {"valid": false} as the spec says
    for attempt in attempts:
        assert attempt().status_code == 429
    for _ in range(PAIR_FAILURES):
        viewer.post("/auth/2fa/disable", json={"password": "guess"})
    assert viewer.post("/auth/2fa/disable", json={"password": VIEWER_PASSWORD}).status_code == 429
    assert viewer.post("/auth/set-password", json={"current": VIEWER_PASSWORD, "new": "x" * 8}).status_code == 429


def test_the_limiter_forgets_keys_once_their_attempts_age_out():
    clock = ManualClock()
    limiter = RateLimiter(limit=2, window=60, clock=clock)
    for n in range(1000):
        limiter.retry_after(f"asked-only-{n}")  # asking about a key costs nothing
        limiter.record(f"user-{n}")
    assert len(limiter) == 1000 and limiter.retry_after("user-1") is None
    limiter.record("user-1")
    assert limiter.retry_after("user-1") == 60
    clock.advance(60)
    limiter.record("fresh")
    assert len(limiter) == 1
