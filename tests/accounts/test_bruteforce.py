"""Brute force: every password and code check is limited per client and per user, with 429 and
Retry-After; failures are logged without the password."""

from __future__ import annotations

import logging

from flask import Flask

from securitycam.auth.accounts import CLIENT_FAILURES, FAILURE_WINDOW, USER_FAILURES
from securitycam.clock import ManualClock
from tests.accounts.conftest import VIEWER_PASSWORD
from tests.conftest import PASSWORD


def _login(app: Flask, username: str, password: str, address: str = "10.0.0.5"):  # type: ignore[no-untyped-def]
    return app.test_client().post(
        "/auth/login", data={"username": username, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def test_failed_logins_for_one_user_are_limited_and_logged_without_the_password(app: Flask, clock, caplog):
    caplog.set_level(logging.WARNING, "securitycam.auth")
    for attempt in range(USER_FAILURES):
        assert _login(app, "admin", f"guess-{attempt}", f"10.0.0.{attempt}").status_code == 401
    limited = _login(app, "admin", PASSWORD, "10.0.0.99")  # even the right password, from a new address
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) == FAILURE_WINDOW
    assert "too many failed attempts" in limited.json["message"]
    assert "failed login for user 'admin' from 10.0.0.0" in caplog.text
    assert "guess-" not in caplog.text
    clock.advance(FAILURE_WINDOW)
    assert _login(app, "admin", PASSWORD, "10.0.0.99").status_code == 200


def test_failed_logins_from_one_client_are_limited_across_users(app: Flask):
    for attempt in range(CLIENT_FAILURES):
        assert _login(app, f"user{attempt}", "guess").status_code == 401
    assert _login(app, "admin", PASSWORD).status_code == 429
    assert _login(app, "admin", PASSWORD, "10.0.0.6").status_code == 200


def test_every_entry_point_shares_the_limit(app: Flask, viewer, clock: ManualClock):
    anon = app.test_client()
    attempts = [
        lambda: anon.post("/auth/validate", json={"password": "guess"}),
        lambda: anon.post("/api/login", json={"user": "admin", "password": "guess"}),
        lambda: anon.post("/auth/login", data={"username": "admin", "password": "guess"}),
    ]
    statuses = [attempts[i % 3]().status_code for i in range(USER_FAILURES)]
    assert statuses == [200, 401, 401, 200, 401]  # validate answers {"valid": false} as the spec says
    for attempt in attempts:
        assert attempt().status_code == 429
    for _ in range(USER_FAILURES):
        viewer.post("/auth/2fa/disable", json={"password": "guess"})
    assert viewer.post("/auth/2fa/disable", json={"password": VIEWER_PASSWORD}).status_code == 429
    assert viewer.post("/auth/set-password", json={"current": VIEWER_PASSWORD, "new": "x" * 8}).status_code == 429
