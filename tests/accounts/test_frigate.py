"""Frigate's login and user endpoints through HTTP (``frigate-api-reference.md``)."""

from __future__ import annotations

import jwt
from flask import Flask

from tests.accounts.conftest import VIEWER, VIEWER_PASSWORD, cookie
from tests.conftest import PASSWORD


def test_login_sets_frigate_token_with_an_empty_body(app: Flask):
    session = app.test_client()
    response = session.post("/api/login", json={"user": "admin", "password": PASSWORD})
    assert response.status_code == 200 and response.data == b""
    token = cookie(session, "frigate_token")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == "admin" and claims["role"] == "admin" and claims["exp"] > claims["iat"]
    set_cookie = response.headers["Set-Cookie"]
    assert set_cookie.startswith("frigate_token=") and "HttpOnly" in set_cookie
    assert session.get("/api/profile").json == {"username": "admin", "role": "admin"}
    checked = session.get("/api/auth")
    assert checked.status_code == 202 and checked.headers["remote-role"] == "admin"
    assert session.get("/settings").status_code == 200
    # Frigate's convention for a cookie session's changes: the X-CSRF-Token header must be sent.
    assert session.post("/settings", json={"Timelapse": {"fps": 9}}).status_code == 403
    assert session.post("/settings", json={"Timelapse": {"fps": 9}}, headers={"X-CSRF-Token": "1"}).status_code == 200


def test_failed_login_and_bad_bodies(anon):
    failed = anon.post("/api/login", json={"user": "admin", "password": "wrong"})
    assert failed.status_code == 401 and failed.json["message"] == "incorrect username or password"
    missing = anon.post("/api/login", json={"user": "admin"})
    assert missing.status_code == 400 and missing.json["field"] == "password"
    assert anon.post("/api/login", data="not json").status_code == 400


def test_logout_clears_the_cookie(app: Flask):
    session = app.test_client()
    session.post("/api/login", json={"user": "admin", "password": PASSWORD})
    # A GET could come from any page the user visits (an <img src>): it must not log them out.
    refused = session.get("/api/logout")
    assert refused.status_code == 405 and "POST" in refused.headers["Allow"]
    assert refused.json["success"] is False
    assert session.get("/api/profile").status_code == 200
    assert session.post("/api/logout").status_code == 200
    assert cookie(session, "frigate_token") is None
    assert session.get("/api/profile").status_code == 401


def test_users_can_be_listed_created_changed_and_deleted(admin_session, app: Flask):
    created = admin_session.post("/api/users", json={"username": "carol", "password": "carol pass", "role": "admin"})
    assert created.status_code == 201 and created.json == {"username": "carol", "role": "admin"}
    assert admin_session.get("/api/users").json == [
        {"username": "admin", "role": "admin"},
        {"username": "carol", "role": "admin"},
    ]
    assert admin_session.put("/api/users/carol/role", json={"role": "viewer"}).json["role"] == "viewer"
    assert admin_session.put("/api/users/carol/password", json={"password": "new carol"}).json == {"success": True}
    login = app.test_client().post("/api/login", json={"user": "carol", "password": "new carol"})
    assert login.status_code == 200
    assert admin_session.delete("/api/users/carol").json == {"success": True}
    assert admin_session.get("/api/users").json == [{"username": "admin", "role": "admin"}]


def test_user_errors_are_clear(admin_session):
    admin_session.post("/api/users", json={"username": "dave", "password": "dave pass"})
    duplicate = admin_session.post("/api/users", json={"username": "DAVE", "password": "other pass"})
    assert duplicate.status_code == 409 and "already exists" in duplicate.json["message"]
    bad_name = admin_session.post("/api/users", json={"username": "../etc", "password": "pass word"})
    assert bad_name.status_code == 400
    bad_role = admin_session.post("/api/users", json={"username": "erin", "password": "pass word", "role": "root"})
    assert bad_role.status_code == 400 and bad_role.json["field"] == "role"
    short = admin_session.post("/api/users", json={"username": "erin", "password": "abc"})
    assert short.status_code == 400 and short.json["field"] == "password"
    assert admin_session.delete("/api/users/nobody").status_code == 404
    assert admin_session.put("/api/users/nobody/role", json={"role": "admin"}).status_code == 404
    assert admin_session.delete("/api/users/admin").status_code == 403
    assert admin_session.put("/api/users/admin/role", json={"role": "viewer"}).status_code == 403


def test_a_viewer_changes_their_own_password_with_the_old_one(viewer, app: Flask):
    assert viewer.get("/api/users").status_code == 403
    without_old = viewer.put(f"/api/users/{VIEWER}/password", json={"password": "new alice pw"})
    assert without_old.status_code == 400 and without_old.json["field"] == "old_password"
    wrong_old = viewer.put(f"/api/users/{VIEWER}/password", json={"password": "new alice pw", "old_password": "x"})
    assert wrong_old.status_code == 403 and wrong_old.json["field"] == "old_password"
    changed = viewer.put(
        f"/api/users/{VIEWER}/password", json={"password": "new alice pw", "old_password": VIEWER_PASSWORD}
    )
    assert changed.status_code == 200 and changed.json["success"] is True
    # Bearer session: the fresh token comes in the answer, the old one is over.
    assert (
        app.test_client()
        .get("/auth/me", headers={"Authorization": f"Bearer {changed.json['access_token']}"})
        .json["username"]
        == VIEWER
    )
    assert viewer.get("/auth/me").status_code == 401


def test_the_spec_example_works_over_a_real_socket(live_server):
    import requests

    session = requests.Session()
    login = session.post(f"{live_server.url}/api/login", json={"user": "admin", "password": PASSWORD}, timeout=5)
    assert login.status_code == 200 and "frigate_token" in session.cookies
    assert session.get(f"{live_server.url}/api/profile", timeout=5).json() == {"username": "admin", "role": "admin"}
    assert requests.get(f"{live_server.url}/api/profile", timeout=5).status_code == 401
