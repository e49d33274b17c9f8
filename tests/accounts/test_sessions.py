"""Sessions through HTTP: login, cookies, /auth/me, expiry, tampering, refresh, logout."""

from __future__ import annotations

import os
import stat

import jwt
from flask import Flask

from securitycam.app import create_app
from securitycam.clock import ManualClock
from tests.accounts.conftest import VIEWER, VIEWER_PASSWORD, bearer, cookie, session_token
from tests.conftest import PASSWORD


def test_login_returns_a_bearer_jwt_and_sets_httponly_cookies(app: Flask, clock: ManualClock):
    client = app.test_client()
    response = client.post("/auth/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json["token_type"] == "bearer"
    claims = jwt.decode(response.json["access_token"], options={"verify_signature": False})
    assert claims["sub"] == "admin" and claims["role"] == "admin"
    assert claims["iat"] == int(clock.time()) and claims["exp"] == claims["iat"] + 86400
    set_cookies = {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}
    for name in ("auth_token", "media_token"):
        assert "HttpOnly" in set_cookies[name] and "SameSite=Lax" in set_cookies[name]
        assert "Secure" not in set_cookies[name]  # plain HTTP on the LAN: a Secure cookie would never come back
        assert cookie(client, name) == response.json["access_token"]
    assert "HttpOnly" not in set_cookies["csrf_token"]  # the dashboard's script reads it to echo it
    me = client.get("/auth/me")
    assert me.status_code == 200
    assert me.json == {"id": 1, "username": "admin", "role": "admin", "is_2fa_enabled": False, "auth_method": "session"}


def test_login_accepts_json_and_cookies_are_secure_behind_https(app: Flask):
    response = app.test_client().post(
        "/auth/login", json={"username": "admin", "password": PASSWORD}, headers={"X-Forwarded-Proto": "https"}
    )
    assert response.status_code == 200
    assert all("Secure" in header for header in response.headers.getlist("Set-Cookie"))


def test_bad_logins_get_clear_errors(anon):
    wrong = anon.post("/auth/login", data={"username": "admin", "password": "nope"})
    assert wrong.status_code == 401 and wrong.json == {"success": False, "message": "incorrect username or password"}
    unknown = anon.post("/auth/login", data={"username": "nobody", "password": PASSWORD})
    assert unknown.json == wrong.json  # no hint which user names exist
    missing = anon.post("/auth/login", data={"username": "admin"})
    assert missing.status_code == 400 and missing.json["field"] == "password"
    empty = anon.post("/auth/login")
    assert empty.status_code == 400


def test_media_token_cookie_alone_authenticates(app: Flask):
    token = session_token(app.test_client(), "admin", PASSWORD)
    client = app.test_client()
    client.set_cookie("media_token", token)
    assert client.get("/auth/me").json["username"] == "admin"


def test_session_expires_after_session_length(app: Flask, clock: ManualClock):
    client = bearer(app, session_token(app.test_client(), "admin", PASSWORD))
    clock.advance(86400 - 1)
    assert client.get("/settings").status_code == 200
    clock.advance(1)
    expired = client.get("/settings")
    assert expired.status_code == 401
    assert expired.json["message"] == "session expired; log in again"
    assert expired.headers["WWW-Authenticate"].startswith("Bearer")


def test_session_length_is_a_setting(client, app: Flask, clock: ManualClock):
    assert client.post("/settings", json={"Auth": {"session_length": 3600}}).status_code == 200
    session = bearer(app, session_token(app.test_client(), "admin", PASSWORD))
    clock.advance(3600)
    assert session.get("/settings").status_code == 401


def test_tampered_and_foreign_jwts_are_refused(app: Flask):
    token = session_token(app.test_client(), "admin", PASSWORD)
    header, payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    forged_payload = jwt.encode({**claims, "sub": "root"}, "k" * 32, algorithm="HS256").split(".")[1]
    unsigned = jwt.encode(claims, None, algorithm="none")
    foreign = jwt.encode(claims, "someone else's secret of enough length!!", algorithm="HS256")
    flipped = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    for bad in (f"{header}.{forged_payload}.{signature}", unsigned, foreign, flipped, "garbage"):
        response = bearer(app, bad).get("/settings")
        assert response.status_code == 401, bad
        assert response.json["message"] in ("invalid session token", "invalid token")


def test_cookie_session_is_refreshed_when_little_time_is_left(app: Flask, clock: ManualClock):
    client = app.test_client()
    first = session_token(client, "admin", PASSWORD)
    clock.advance(3600)
    untouched = client.get("/auth/me")
    assert untouched.headers.getlist("Set-Cookie") == []
    clock.advance(12 * 3600)  # 11 h left, under refresh_time (12 h)
    refreshed = client.get("/auth/me")
    assert refreshed.status_code == 200
    renewed = cookie(client, "auth_token")
    assert renewed != first and cookie(client, "media_token") == renewed
    assert jwt.decode(renewed, options={"verify_signature": False})["exp"] == int(clock.time()) + 86400
    clock.advance(20 * 3600)  # past the first token's expiry, within the renewed one's
    assert client.get("/auth/me").status_code == 200


def test_logout_clears_the_cookies(app: Flask):
    client = app.test_client()
    session_token(client, "admin", PASSWORD)
    response = client.post("/auth/logout")
    assert response.status_code == 200 and response.json == {"success": True}
    assert cookie(client, "auth_token") is None and cookie(client, "media_token") is None
    assert client.get("/auth/me").status_code == 401


def test_the_signing_secret_is_private_and_survives_a_restart(app: Flask, data_dir, hardware):
    token = session_token(app.test_client(), "admin", PASSWORD)
    secret_file = data_dir / "session-secret"
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    app.extensions["securitycam"].stop()
    again = create_app(data_dir, hardware, start=False)
    try:
        assert bearer(again, token).get("/auth/me").json["username"] == "admin"
    finally:
        again.extensions["securitycam"].stop()


def test_a_password_change_ends_other_sessions_but_keeps_the_callers(app: Flask, viewer):
    other_device = bearer(app, session_token(app.test_client(), VIEWER, VIEWER_PASSWORD))
    browser = app.test_client()
    session_token(browser, VIEWER, VIEWER_PASSWORD)
    changed = browser.post(
        "/auth/set-password",
        json={"current": VIEWER_PASSWORD, "new": "a brand new one"},
        headers={"X-CSRF-Token": cookie(browser, "csrf_token")},
    )
    assert changed.status_code == 200, changed.json
    assert changed.json["message"] == "Password updated"
    assert browser.get("/auth/me").json["username"] == VIEWER
    assert other_device.get("/auth/me").json["message"] == "session revoked; log in again"
    assert viewer.get("/auth/me").status_code == 401
    assert (
        app.test_client().post("/auth/login", data={"username": VIEWER, "password": "a brand new one"}).status_code
        == 200
    )


def test_set_password_checks_the_current_one_and_the_new_ones_length(viewer):
    wrong = viewer.post("/auth/set-password", json={"current": "wrong", "new": "whatever"})
    assert wrong.status_code == 403 and wrong.json["field"] == "current"
    short = viewer.post("/auth/set-password", json={"current": VIEWER_PASSWORD, "new": "abc"})
    assert short.status_code == 400 and short.json["field"] == "new"


def test_deleted_users_sessions_end(admin_session, viewer):
    assert admin_session.delete(f"/api/users/{VIEWER}").status_code == 200
    assert viewer.get("/auth/me").status_code == 401


def test_status_validates_any_credential(app: Flask, anon):
    token = session_token(app.test_client(), "admin", PASSWORD)
    assert anon.get("/auth/status").json == {"enabled": True, "valid": None}
    assert bearer(app, token).get("/auth/status").json == {"enabled": True, "valid": True}
    assert bearer(app, token + "x").get("/auth/status").json == {"enabled": True, "valid": False}


def test_a_short_session_refreshes_in_its_second_half(client, app: Flask, clock: ManualClock):
    assert client.post("/settings", json={"Auth": {"session_length": 3600}}).status_code == 200
    browser = app.test_client()
    session_token(browser, "admin", PASSWORD)
    clock.advance(1700)
    assert browser.get("/auth/me").headers.getlist("Set-Cookie") == []
    clock.advance(200)
    assert any(h.startswith("auth_token=") for h in browser.get("/auth/me").headers.getlist("Set-Cookie"))
