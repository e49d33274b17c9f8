"""The dashboard password becomes user ``admin``'s; ``reset-auth`` gives the admin back to the owner."""

from __future__ import annotations

import json

import pyotp
from flask import Flask

from securitycam.app import create_app
from securitycam.auth.passwords import hash_password
from securitycam.clock import ManualClock
from tests.accounts.conftest import VIEWER, bearer, session_token
from tests.conftest import PASSWORD


def test_a_fresh_appliance_has_one_admin_with_the_dashboard_password(admin_session, appliance):
    assert admin_session.get("/api/users").json == [{"username": "admin", "role": "admin"}]
    assert appliance.settings.get().Auth.password_hash is None


def test_an_appliance_from_before_accounts_keeps_its_password(data_dir, hardware, monkeypatch):
    monkeypatch.delenv("SECURITYCAM_PASSWORD", raising=False)
    settings_file = data_dir / "settings" / "settings.json"
    settings_file.parent.mkdir(parents=True)
    settings_file.write_text(
        json.dumps({"Auth": {"enabled": True, "password_hash": hash_password("old dashboard pw")}})
    )
    app = create_app(data_dir, hardware, start=False)
    try:
        anon = app.test_client()
        assert anon.post("/auth/validate", json={"password": "old dashboard pw"}).json["valid"] is True
        assert anon.post("/auth/login", data={"username": "admin", "password": "old dashboard pw"}).status_code == 200
        assert json.loads(settings_file.read_text())["Auth"]["password_hash"] is None
        assert not (data_dir / "default-password.txt").exists()
    finally:
        app.extensions["securitycam"].stop()


def test_reset_auth_resets_the_admin_and_revokes_everything(
    app: Flask, admin_session, viewer, token, data_dir, hardware, clock: ManualClock, monkeypatch
):
    key = admin_session.post("/auth/api-keys", json={"name": "ha"}).json["key"]
    secret = admin_session.post("/auth/2fa/enroll", json={"password": PASSWORD}).json["secret"]
    admin_session.post("/auth/2fa/confirm", json={"code": pyotp.TOTP(secret).at(clock.time())})
    app.extensions["securitycam"].stop()

    (data_dir / "reset-auth").touch()
    monkeypatch.setenv("SECURITYCAM_PASSWORD", "after the reset")
    again = create_app(data_dir, hardware, start=False)
    try:
        anon = again.test_client()
        assert not (data_dir / "reset-auth").exists()
        assert bearer(again, token).get("/settings").status_code == 401
        assert anon.get("/settings", headers={"X-API-Key": key}).status_code == 401
        for old_session in (admin_session, viewer):
            assert bearer(again, old_session.environ_base["HTTP_AUTHORIZATION"][7:]).get("/settings").status_code == 401
        assert anon.post("/auth/login", data={"username": "admin", "password": PASSWORD}).status_code == 401
        fresh = bearer(again, session_token(anon, "admin", "after the reset"))  # no second factor asked
        assert fresh.get("/auth/me").json["is_2fa_enabled"] is False
        assert {user["username"] for user in fresh.get("/api/users").json} == {"admin", VIEWER}
    finally:
        again.extensions["securitycam"].stop()
