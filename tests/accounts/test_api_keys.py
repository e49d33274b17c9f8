"""API keys through HTTP: shown once, stored hashed, listed without secrets, expiring, revocable."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from flask import Flask

from securitycam.clock import ManualClock
from tests.accounts.conftest import VIEWER


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def test_a_key_is_shown_once_and_stored_as_a_hash(admin_session, appliance, clock: ManualClock):
    created = admin_session.post("/auth/api-keys", json={"name": "home assistant"})
    assert created.status_code == 201
    body = created.json
    assert set(body) >= {"id", "name", "key", "expires_at"}
    assert body["name"] == "home assistant" and body["expires_at"] is None
    stored = appliance.db.query("SELECT * FROM api_keys")
    assert [row["key_hash"] for row in stored] == [hashlib.sha256(body["key"].encode()).hexdigest()]
    assert body["key"] not in str([dict(row) for row in stored])
    listed = admin_session.get("/auth/api-keys").json
    assert listed == [
        {
            "id": body["id"],
            "name": "home assistant",
            "user": "admin",
            "created": _iso(clock.time()),
            "expires_at": None,
            "last_used": None,
            "expired": False,
        }
    ]


def test_a_key_authenticates_and_records_its_last_use(admin_session, app: Flask, clock: ManualClock):
    key = admin_session.post("/auth/api-keys", json={"name": "script"}).json["key"]
    script = app.test_client()
    me = script.get("/auth/me", headers={"X-API-Key": key})
    assert me.status_code == 200 and me.json["auth_method"] == "api_key" and me.json["role"] == "admin"
    assert admin_session.get("/auth/api-keys").json[0]["last_used"] == _iso(clock.time())
    clock.advance(10)
    script.get("/auth/me", headers={"X-API-Key": key})
    assert admin_session.get("/auth/api-keys").json[0]["last_used"] == _iso(clock.time() - 10)  # once a minute
    clock.advance(60)
    script.get("/auth/me", headers={"X-API-Key": key})
    assert admin_session.get("/auth/api-keys").json[0]["last_used"] == _iso(clock.time())


def test_an_expired_key_gets_401(admin_session, app: Flask, clock: ManualClock):
    expires = clock.time() + 3600
    created = admin_session.post("/auth/api-keys", json={"name": "temp", "expires_at": _iso(expires)}).json
    assert created["expires_at"] == _iso(expires)
    headers = {"X-API-Key": created["key"]}
    assert app.test_client().get("/settings", headers=headers).status_code == 200
    clock.advance(3600)
    refused = app.test_client().get("/settings", headers=headers)
    assert refused.status_code == 401 and refused.json["message"] == "API key expired"
    assert admin_session.get("/auth/api-keys").json[0]["expired"] is True


def test_a_revoked_key_gets_401(admin_session, app: Flask):
    created = admin_session.post("/auth/api-keys", json={"name": "old"}).json
    assert admin_session.delete(f"/auth/api-keys/{created['id']}").json == {"success": True}
    refused = app.test_client().get("/settings", headers={"X-API-Key": created["key"]})
    assert refused.status_code == 401 and refused.json["message"] == "invalid or revoked API key"
    assert admin_session.get("/auth/api-keys").json == []
    assert admin_session.delete(f"/auth/api-keys/{created['id']}").status_code == 404


def test_bad_key_requests_name_the_field(admin_session, clock: ManualClock):
    past = admin_session.post("/auth/api-keys", json={"name": "x", "expires_at": _iso(clock.time() - 1)})
    assert past.status_code == 400 and past.json["field"] == "expires_at"
    garbled = admin_session.post("/auth/api-keys", json={"name": "x", "expires_at": "next tuesday"})
    assert garbled.status_code == 400 and garbled.json["field"] == "expires_at"
    nameless = admin_session.post("/auth/api-keys", json={"name": ""})
    assert nameless.status_code == 400 and nameless.json["field"] == "name"
    naive = admin_session.post("/auth/api-keys", json={"name": "x", "expires_at": "2099-01-01T00:00:00"})
    assert naive.json["expires_at"] == "2099-01-01T00:00:00Z"


def test_a_key_carries_the_current_role_of_its_maker(admin_session, app: Flask, viewer):
    assert admin_session.post("/api/users", json={"username": "bob", "password": "bob's pass", "role": "admin"})
    bob = app.test_client()
    bob.post("/auth/login", data={"username": "bob", "password": "bob's pass"})
    key = admin_session.post("/auth/api-keys", json={"name": "made by admin"}).json["key"]
    csrf = bob.get_cookie("csrf_token").value
    bobs_key = bob.post("/auth/api-keys", json={"name": "bob's"}, headers={"X-CSRF-Token": csrf}).json["key"]
    assert admin_session.put("/api/users/bob/role", json={"role": "viewer"}).status_code == 200
    as_bob = app.test_client().post("/settings", json={"Timelapse": {"fps": 9}}, headers={"X-API-Key": bobs_key})
    assert as_bob.status_code == 403
    assert app.test_client().get("/auth/me", headers={"X-API-Key": key}).json["role"] == "admin"
    assert admin_session.delete("/api/users/bob").status_code == 200
    assert app.test_client().get("/settings", headers={"X-API-Key": bobs_key}).status_code == 401
    assert viewer.post("/auth/api-keys", json={"name": "mine"}).status_code == 403
    assert VIEWER not in {key["user"] for key in admin_session.get("/auth/api-keys").json}
