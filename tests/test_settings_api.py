import json
import os
import signal
import subprocess
import sys
import time

import pytest

from securitycam.app import create_app
from securitycam.config import SettingsStore


def test_get_settings_hides_secrets(client, appliance):
    appliance.settings.modify(lambda s: setattr(s.Auth, "password_hash", "$argon2id$secret"))
    body = client.get("/settings").json
    assert body["StorageLimit"]["enabled"] is True and body["StorageLimit"]["max_percent"] == 85
    assert "password_hash" not in body["Auth"]
    assert "$argon2id$secret" not in client.get("/settings").get_data(as_text=True)


def test_post_settings_is_a_partial_update_that_persists(client, app, data_dir, hardware):
    response = client.post("/settings", json={"StorageLimit": {"max_percent": 70}})
    assert response.status_code == 200
    saved_limit = response.json["settings"]["StorageLimit"]
    assert saved_limit["enabled"] is True and saved_limit["max_percent"] == 70
    on_disk = json.loads((data_dir / "settings" / "settings.json").read_text())
    assert on_disk["StorageLimit"]["max_percent"] == 70
    assert on_disk["CaptivePortal"]["enabled"] is True  # untouched sections stay
    assert oct((data_dir / "settings" / "settings.json").stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"StorageLimit": {"max_percent": "lots"}}, "StorageLimit.max_percent"),
        ({"StorageLimit": {"max_percent": 99}}, "StorageLimit.max_percent"),
        ({"Timelapse": {"resolution": "4k"}}, "Timelapse.resolution"),
        ({"Sensor": {"gpio": 28}}, "Sensors.0.gpio"),  # the spec's single Sensor is the first of Sensors
        ({"NoSuchSection": {}}, "NoSuchSection"),
        ({"StorageLimit": {"typo": 1}}, "StorageLimit.typo"),
    ],
)
def test_invalid_settings_are_refused_naming_the_field(client, appliance, patch, field):
    before = appliance.settings.get()
    response = client.post("/settings", json=patch)
    assert response.status_code == 400
    assert response.json["success"] is False
    assert response.json["field"] == field
    assert field in response.json["message"]
    assert appliance.settings.get() == before


def test_secrets_cannot_be_set(client, appliance):
    before = appliance.settings.get().Auth.password_hash
    response = client.post("/settings", json={"Auth": {"password_hash": "x"}})
    assert response.status_code == 400
    assert response.json["field"] == "Auth.password_hash"
    assert client.put("/settings/Auth.password_hash", json={"value": "x"}).status_code == 400
    assert client.put("/settings/Auth", json={"value": {"enabled": True, "password_hash": "x"}}).status_code == 400
    assert appliance.settings.get().Auth.password_hash == before


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"{not json", "application/json"), (b"[1, 2]", "application/json"), (b"", "application/json"),
     (b'"text"', "text/plain")],
)
def test_malformed_bodies_are_400(client, body, content_type):
    response = client.post("/settings", data=body, content_type=content_type)
    assert response.status_code == 400
    assert response.json["success"] is False


def test_put_one_key_or_one_section(client, appliance):
    response = client.put("/settings/StorageLimit.max_percent", json={"value": "30"})
    assert response.status_code == 200
    assert appliance.settings.get().StorageLimit.max_percent == 30
    response = client.put("/settings/Timelapse", json={"value": {"enabled": True}})
    assert response.status_code == 200
    timelapse = appliance.settings.get().Timelapse
    assert timelapse.enabled is True and timelapse.interval_minutes == 5
    # Replacing the Auth section keeps the password hash.
    hashed = appliance.settings.get().Auth.password_hash
    assert client.put("/settings/Auth", json={"value": {"enabled": True}}).status_code == 200
    assert appliance.settings.get().Auth.password_hash == hashed


def test_put_errors(client):
    assert client.put("/settings/Nope", json={"value": 1}).status_code == 404
    response = client.put("/settings/StorageLimit", json={"nope": 1})
    assert response.status_code == 400 and response.json["field"] == "value"
    response = client.put("/settings/StorageLimit.max_percent", json={"value": 5})
    assert response.status_code == 400 and response.json["field"] == "StorageLimit.max_percent"
    # A section that holds secrets, given something that is no object.
    for value in (5, "x", [1], None):
        response = client.put("/settings/Auth", json={"value": value})
        assert response.status_code == 400 and response.json["field"] == "Auth", value


def test_settings_survive_a_restart(client, app, data_dir, hardware):
    client.post("/settings", json={"Timelapse": {"fps": 12}})
    app.extensions["securitycam"].stop()
    again = create_app(data_dir, hardware, start=False)
    assert again.extensions["securitycam"].settings.get().Timelapse.fps == 12


def test_corrupt_settings_file_is_set_aside_with_an_alert(tmp_path, hardware):
    settings_file = tmp_path / "data" / "settings" / "settings.json"
    settings_file.parent.mkdir(parents=True)
    settings_file.write_text('{"StorageLimit": {"max_pe')
    app = create_app(tmp_path / "data", hardware, start=False)
    appliance = app.extensions["securitycam"]
    assert appliance.settings.get().StorageLimit.max_percent == 85
    aside = list(settings_file.parent.glob("settings.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_text() == '{"StorageLimit": {"max_pe'
    assert json.loads(settings_file.read_text())["StorageLimit"]["max_percent"] == 85
    state = appliance.health.check()
    assert state["alerts"]["settings"] == "warn" and state["overall"] == "warn"
    assert any(e.data["alerts"].get("settings") == "warn" for e in appliance.bus.recent("system_alert"))
    log = (tmp_path / "data" / "logs" / "api" / "api.log").read_text()
    assert "not valid JSON" in log


def test_an_invalid_section_keeps_the_valid_ones(tmp_path, hardware):
    settings_file = tmp_path / "data" / "settings" / "settings.json"
    settings_file.parent.mkdir(parents=True)
    settings_file.write_text(json.dumps({"Timelapse": {"fps": 12}, "StorageLimit": {"max_percent": 500}}))
    settings = create_app(tmp_path / "data", hardware, start=False).extensions["securitycam"].settings.get()
    assert settings.Timelapse.fps == 12
    assert settings.StorageLimit.max_percent == 85
    assert list(settings_file.parent.glob("settings.json.corrupt-*"))


WRITER = """
import sys
from securitycam.config import SettingsStore
store = SettingsStore(__import__("pathlib").Path(sys.argv[1]))
print("ready", flush=True)
i = 0
while True:
    i += 1
    store.update({"Timelapse": {"fps": 1 + i % 60}, "Server": {"cors_origins": ["http://x"] * (i % 200)}})
"""


def test_killing_a_writer_mid_write_leaves_a_valid_file(tmp_path):
    path = tmp_path / "settings.json"
    for attempt in range(5):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE)
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(0.05 + attempt * 0.037)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        data = json.loads(path.read_text())  # raises if half-written
        assert 1 <= data["Timelapse"]["fps"] <= 60
        store = SettingsStore(path)
        assert store.problems == []
        assert not list(tmp_path.glob(".settings.json.*.tmp"))


def test_shared_settings_are_read_only_and_change_through_the_store(appliance):
    shared = appliance.settings.get()
    assert appliance.settings.get() is shared  # no copy per read
    with pytest.raises(TypeError):
        shared.StorageLimit.max_percent = 50
    with pytest.raises(TypeError):
        shared.Cameras[0].fps = 1
    appliance.settings.modify(lambda draft: setattr(draft.StorageLimit, "max_percent", 50))
    assert shared.StorageLimit.max_percent == 85  # what a reader already holds does not move under it
    assert appliance.settings.get().StorageLimit.max_percent == 50
