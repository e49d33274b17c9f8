import hashlib
import sqlite3

import pytest

from securitycam.app import create_app
from tests.conftest import PASSWORD


def test_status_reports_enabled_and_token_validity(anon, token):
    assert anon.get("/auth/status").json == {"enabled": True, "valid": None}
    assert anon.get("/auth/status", headers={"Authorization": f"Bearer {token}"}).json["valid"] is True
    assert anon.get(f"/auth/status?token={token}").json["valid"] is True
    assert anon.get("/auth/status?token=nope").json["valid"] is False


def test_validate_wrong_password(anon):
    response = anon.post("/auth/validate", json={"password": "wrong"})
    assert response.status_code == 200 and response.json == {"valid": False}


def test_validate_bad_body_names_the_field(anon):
    response = anon.post("/auth/validate", json={"password": 5})
    assert response.status_code == 400 and response.json["field"] == "password"
    assert anon.post("/auth/validate", json={}).json["field"] == "password"


def test_token_by_header_or_query(anon, token):
    assert anon.get("/settings").status_code == 401
    assert anon.get("/settings", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert anon.get("/settings", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert anon.get(f"/settings?token={token}").status_code == 200
    unauthorized = anon.get("/settings")
    assert unauthorized.json == {"success": False, "message": "authentication required"}
    assert unauthorized.headers["WWW-Authenticate"].startswith("Bearer")


def test_every_endpoint_but_the_public_ones_needs_a_token(app, anon):
    public = {rule.rule for rule in app.url_map.iter_rules()
              if getattr(app.view_functions[rule.endpoint], "public", False)}
    assert {"/auth/status", "/auth/validate"} <= public
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.rule in public or rule.endpoint == "static":
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<{argument}>", "x").replace(f"<path:{argument}>", "x")
            path = path.replace(f"<int:{argument}>", "1")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = anon.open(path, method=method, json={})
            assert response.status_code == 401, (method, rule.rule, response.status_code)
            checked += 1
    assert checked >= 15


def test_rate_limit_on_validate(anon):
    for _ in range(5):
        assert anon.post("/auth/validate", json={"password": "guess"}).json == {"valid": False}
    limited = anon.post("/auth/validate", json={"password": PASSWORD})
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.json["success"] is False


def test_regenerate_invalidates_every_old_token(anon, client, token):
    second = anon.post("/auth/validate", json={"password": PASSWORD}).json["token"]
    response = client.post("/auth/regenerate")
    new = response.json["token"]
    assert new not in (token, second)
    for old in (token, second):
        assert anon.get("/settings", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert anon.get("/settings", headers={"Authorization": f"Bearer {new}"}).status_code == 200


def test_set_password(client, anon, data_dir):
    assert client.post("/auth/set-password", json={"current": "bad", "new": "abcd"}).status_code == 403
    short = client.post("/auth/set-password", json={"current": PASSWORD, "new": "abc"})
    assert short.status_code == 400 and short.json["field"] == "new"
    assert client.post("/auth/set-password", json={"current": PASSWORD, "new": "x" * 129}).status_code == 400
    assert client.post("/auth/set-password", json={"current": PASSWORD}).status_code == 400
    done = client.post("/auth/set-password", json={"current": PASSWORD, "new": "new-pass"})
    assert done.status_code == 200 and done.json == {"message": "Password updated"}
    assert anon.post("/auth/validate", json={"password": PASSWORD}).json == {"valid": False}
    assert anon.post("/auth/validate", json={"password": "new-pass"}).json["valid"] is True


def test_secrets_are_stored_hashed(client, token, data_dir):
    settings_text = (data_dir / "settings" / "settings.json").read_text()
    assert PASSWORD not in settings_text and "password_hash" not in client.get("/settings").get_data(as_text=True)
    db = sqlite3.connect(data_dir / "securitycam.db")
    (password_hash,) = db.execute("SELECT password_hash FROM users WHERE username = 'admin'").fetchone()
    assert password_hash.startswith("$argon2id$")
    hashes = [row[0] for row in db.execute("SELECT token_hash FROM api_tokens")]
    assert hashlib.sha256(token.encode()).hexdigest() in hashes
    assert token not in hashes
    raw = (data_dir / "securitycam.db").read_bytes() + (data_dir / "securitycam.db-wal").read_bytes()
    assert token.encode() not in raw and PASSWORD.encode() not in raw


def test_first_start_without_env_writes_a_random_password(tmp_path, hardware, monkeypatch):
    monkeypatch.delenv("SECURITYCAM_PASSWORD", raising=False)
    app = create_app(tmp_path / "d", hardware, start=False)
    password_file = tmp_path / "d" / "default-password.txt"
    assert oct(password_file.stat().st_mode & 0o777) == "0o600"
    password = password_file.read_text().strip()
    assert len(password) >= 12
    client = app.test_client()
    assert client.get("/auth/status").json["enabled"] is True
    assert client.post("/auth/validate", json={"password": password}).json["valid"] is True
    # A restart keeps the same password.
    again = create_app(tmp_path / "d", hardware, start=False).test_client()
    assert again.post("/auth/validate", json={"password": password}).json["valid"] is True


@pytest.mark.parametrize("marker", ["reset-auth", "boot/firmware/reset-auth"])
def test_reset_auth_file(tmp_path, hardware, sysroot, monkeypatch, marker):
    monkeypatch.setenv("SECURITYCAM_PASSWORD", PASSWORD)
    app = create_app(tmp_path / "d", hardware, start=False)
    client = app.test_client()
    token = client.post("/auth/validate", json={"password": PASSWORD}).json["token"]
    client.post("/auth/set-password", json={"current": PASSWORD, "new": "forgotten"},
                headers={"Authorization": f"Bearer {token}"})
    client.put("/settings/Auth.enabled", json={"value": False}, headers={"Authorization": f"Bearer {token}"})
    monkeypatch.delenv("SECURITYCAM_PASSWORD")
    marker_path = (tmp_path / "d" if marker == "reset-auth" else sysroot) / marker
    marker_path.parent.mkdir(parents=True, exist_ok=True)
    marker_path.touch()
    client = create_app(tmp_path / "d", hardware, start=False).test_client()
    assert not marker_path.exists()
    assert client.get("/auth/status").json["enabled"] is True
    assert client.get("/settings", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    new_password = (tmp_path / "d" / "default-password.txt").read_text().strip()
    assert client.post("/auth/validate", json={"password": "forgotten"}).json["valid"] is False
    assert client.post("/auth/validate", json={"password": new_password}).json["valid"] is True


def test_auth_can_be_turned_off(client, anon):
    assert client.put("/settings/Auth.enabled", json={"value": False}).status_code == 200
    assert anon.get("/settings").status_code == 200
    assert anon.get("/auth/status").json == {"enabled": False, "valid": None}


def test_cors_only_for_own_origins(client):
    own_api = client.get("/settings", headers={"Origin": "http://localhost"})
    assert own_api.headers["Access-Control-Allow-Origin"] == "http://localhost"
    dashboard = client.get("/settings", headers={"Origin": "http://localhost:4321"})
    assert dashboard.headers["Access-Control-Allow-Origin"] == "http://localhost:4321"
    foreign = client.get("/settings", headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in foreign.headers
    other_port = client.get("/settings", headers={"Origin": "http://localhost:8080"})
    assert "Access-Control-Allow-Origin" not in other_port.headers
    preflight = client.options("/settings", headers={
        "Origin": "http://localhost:4321", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    client.post("/settings", json={"Server": {"cors_origins": ["http://evil.example"]}})
    allowed = client.get("/settings", headers={"Origin": "http://evil.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://evil.example"


def test_a_too_short_env_password_is_refused_loudly(tmp_path, hardware, monkeypatch, caplog):
    monkeypatch.setenv("SECURITYCAM_PASSWORD", "abc")
    app = create_app(tmp_path / "d", hardware, start=False)
    assert "SECURITYCAM_PASSWORD ignored" in caplog.text
    password = (tmp_path / "d" / "default-password.txt").read_text().strip()
    client = app.test_client()
    assert client.post("/auth/validate", json={"password": "abc"}).json == {"valid": False}
    assert client.post("/auth/validate", json={"password": password}).json["valid"] is True
