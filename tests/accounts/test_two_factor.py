"""Two-factor login through HTTP: enroll, confirm, codes at login, no replays, recovery codes, disable."""

from __future__ import annotations

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from securitycam.clock import ManualClock
from tests.accounts.conftest import VIEWER, VIEWER_PASSWORD
from tests.conftest import PASSWORD


def _login(app: Flask, **form: str):  # type: ignore[no-untyped-def]
    return app.test_client().post("/auth/login", data={"username": VIEWER, "password": VIEWER_PASSWORD, **form})


@pytest.fixture
def enrolled(viewer: FlaskClient, clock: ManualClock) -> tuple[pyotp.TOTP, list[str]]:
    """The viewer with two-factor on: their authenticator and their recovery codes."""
    enrollment = viewer.post("/auth/2fa/enroll", json={"password": VIEWER_PASSWORD})
    assert enrollment.status_code == 200
    totp = pyotp.TOTP(enrollment.json["secret"])
    assert enrollment.json["otpauth_uri"].startswith("otpauth://totp/securitycam:alice?secret=")
    confirmed = viewer.post("/auth/2fa/confirm", json={"code": totp.at(clock.time())})
    assert confirmed.status_code == 200 and confirmed.json["enabled"] is True
    clock.advance(30)  # the code used to confirm is spent
    return totp, confirmed.json["recovery_codes"]


def test_enrolling_needs_the_password_and_a_matching_code(viewer, clock: ManualClock):
    assert viewer.post("/auth/2fa/enroll", json={"password": "wrong"}).status_code == 403
    secret = viewer.post("/auth/2fa/enroll", json={"password": VIEWER_PASSWORD}).json["secret"]
    assert viewer.get("/auth/2fa").json == {"enabled": False, "pending": True, "recovery_codes_left": 0}
    wrong = viewer.post("/auth/2fa/confirm", json={"code": "000000"})
    assert wrong.status_code == 400 and wrong.json["message"].startswith("code:")
    assert viewer.get("/auth/me").json["is_2fa_enabled"] is False
    assert viewer.post("/auth/2fa/confirm", json={"code": pyotp.TOTP(secret).at(clock.time())}).status_code == 200
    assert viewer.get("/auth/2fa").json == {"enabled": True, "pending": False, "recovery_codes_left": 10}
    assert viewer.post("/auth/2fa/enroll", json={"password": VIEWER_PASSWORD}).status_code == 409


def test_login_without_a_needed_code_says_so(app: Flask, enrolled):
    response = _login(app)
    assert response.status_code == 401
    assert response.json["totp_required"] is True
    assert "two-factor code is required" in response.json["message"]


def test_wrong_and_reused_codes_are_refused(app: Flask, enrolled, clock: ManualClock):
    totp, _ = enrolled
    assert _login(app, totp_code="123456").status_code == 401
    code = totp.at(clock.time())
    assert _login(app, totp_code=code).status_code == 200
    reused = _login(app, totp_code=code)
    assert reused.status_code == 401 and "already used" in reused.json["message"]
    clock.advance(30)
    assert _login(app, totp_code=totp.at(clock.time())).status_code == 200


def test_a_code_from_the_previous_step_is_accepted_for_clock_drift(app: Flask, enrolled, clock: ManualClock):
    totp, _ = enrolled
    clock.advance(30)  # so the previous step is not the one spent on confirming
    assert _login(app, totp_code=totp.at(clock.time() - 30)).status_code == 200
    assert _login(app, totp_code=totp.at(clock.time() - 90)).status_code == 401


def test_recovery_codes_work_once_each(app: Flask, enrolled, appliance):
    _, codes = enrolled
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = [row["code_hash"] for row in appliance.db.query("SELECT code_hash FROM recovery_codes")]
    assert len(stored) == 10 and not set(codes) & set(stored)
    assert _login(app, totp_code=codes[0].lower()).status_code == 200  # typed loosely
    assert _login(app, totp_code=codes[0]).status_code == 401
    assert _login(app, totp_code=codes[1]).status_code == 200


def test_disabling_needs_the_password(app: Flask, viewer, enrolled):
    refused = viewer.post("/auth/2fa/disable", json={"password": "wrong"})
    assert refused.status_code == 403 and refused.json["field"] == "password"
    assert viewer.post("/auth/2fa/disable", json={}).status_code == 400
    assert viewer.post("/auth/2fa/disable", json={"password": VIEWER_PASSWORD}).json == {"enabled": False}
    assert _login(app).status_code == 200


def test_the_dashboard_password_login_needs_the_admins_code_too(admin_session, app: Flask, clock: ManualClock):
    secret = admin_session.post("/auth/2fa/enroll", json={"password": PASSWORD}).json["secret"]
    admin_session.post("/auth/2fa/confirm", json={"code": pyotp.TOTP(secret).at(clock.time())})
    clock.advance(30)
    anon = app.test_client()
    without = anon.post("/auth/validate", json={"password": PASSWORD})
    assert without.status_code == 200 and without.json["valid"] is False and without.json["totp_required"] is True
    with_code = anon.post(
        "/auth/validate", json={"password": PASSWORD, "totp_code": pyotp.TOTP(secret).at(clock.time())}
    )
    assert with_code.json["valid"] is True and with_code.json["token"]
    frigate = anon.post("/api/login", json={"user": "admin", "password": PASSWORD})
    assert frigate.status_code == 401 and frigate.json["totp_required"] is True
