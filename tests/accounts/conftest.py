"""Accounts tests run on a manual clock, so session expiry, key expiry, TOTP steps and rate-limit
windows are stepped through instead of waited for."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from securitycam.appliance import Hardware
from securitycam.clock import ManualClock
from securitycam.system.host import HostReader
from securitycam.system.runner import RecordingRunner
from tests.conftest import PASSWORD, FakeDisk

VIEWER = "alice"
VIEWER_PASSWORD = "alice's long password"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def hardware(runner: RecordingRunner, sysroot: Path, disk: FakeDisk, clock: ManualClock) -> Hardware:
    return Hardware(runner=runner, host=HostReader(sysroot, disk_usage=disk), clock=clock, run_cameras=False)


def session_token(anon: FlaskClient, username: str, password: str, **extra: str) -> str:
    response = anon.post("/auth/login", data={"username": username, "password": password, **extra})
    assert response.status_code == 200, response.json
    return response.json["access_token"]


def bearer(app: Flask, token: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


@pytest.fixture
def admin_session(app: Flask) -> FlaskClient:
    """The admin, with a session JWT as Bearer token."""
    return bearer(app, session_token(app.test_client(), "admin", PASSWORD))


@pytest.fixture
def viewer(admin_session: FlaskClient, app: Flask) -> FlaskClient:
    """A viewer made through the Frigate users API, signed in with a Bearer JWT."""
    created = admin_session.post("/api/users", json={"username": VIEWER, "password": VIEWER_PASSWORD})
    assert created.status_code == 201, created.json
    assert created.json == {"username": VIEWER, "role": "viewer"}
    return bearer(app, session_token(app.test_client(), VIEWER, VIEWER_PASSWORD))


def cookie(client: FlaskClient, name: str) -> str | None:
    found = client.get_cookie(name)
    return found.value if found else None
