"""The design's contract for running it: ``securitycam serve`` under gunicorn, SIGTERM stops it cleanly."""

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import requests

from securitycam.app import create_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_answers_and_stops_on_sigterm(tmp_path):
    port = free_port()
    env = {**os.environ, "SECURITYCAM_PASSWORD": "serve-test"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "securitycam", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--data-dir", str(tmp_path / "data"), "--threads", "24"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status = requests.get(f"{base}/auth/status", timeout=1)
                break
            except requests.ConnectionError:
                assert proc.poll() is None, proc.stdout.read().decode()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert status.json() == {"enabled": True, "valid": None}
        token = requests.post(f"{base}/auth/validate", json={"password": "serve-test"}, timeout=5).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        # An SSE client holds a thread; API requests still answer beside it.
        stream = requests.get(f"{base}/events", headers=headers, stream=True, timeout=5)
        assert requests.get(f"{base}/settings", headers=headers, timeout=5).status_code == 200
        assert requests.post(f"{base}/settings", headers=headers, json={"Timelapse": {"fps": 7}}, timeout=5).ok
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert time.monotonic() - started < 4  # SSE streams end at once, not after the grace period
        stream.close()
    finally:
        if proc.poll() is None:
            proc.kill()
    output = proc.stdout.read().decode()
    settings = json.loads((tmp_path / "data" / "settings" / "settings.json").read_text())
    assert settings["Timelapse"]["fps"] == 7
    log = (tmp_path / "data" / "logs" / "api" / "api.log").read_text()
    assert "stopped" in log, output
    assert "dashboard login: user admin, password from SECURITYCAM_PASSWORD" in output


def test_serve_prints_where_it_listens_where_the_password_is_and_what_is_simulated(tmp_path):
    port = free_port()
    data = tmp_path / "data"
    env = {name: value for name, value in os.environ.items() if name != "SECURITYCAM_PASSWORD"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "securitycam", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--data-dir", str(data), "--threads", "24"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines: list[str] = []
    logged_in = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            lines.append(line)
            if "dashboard login" in line:
                logged_in.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert logged_in.wait(30), "".join(lines)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        reader.join(timeout=5)
    expected = [
        f"listening on http://127.0.0.1:{port}",
        f"dashboard login: user admin, password in {data / 'default-password.txt'}",
        "GPIO pins simulated",
        "commands that change the machine (reboot, iptables) logged, not run",
        "Bluetooth is simulated",
    ]
    log = (data / "logs" / "api" / "api.log").read_text()
    for text in expected:
        assert any(text in line for line in lines), (text, lines)
        assert text in log, text
    assert (data / "default-password.txt").read_text().strip()


def test_a_later_start_says_the_password_was_set_before(tmp_path, hardware, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="securitycam.appliance")
    monkeypatch.setenv("SECURITYCAM_PASSWORD", "first password")
    create_app(tmp_path / "data", hardware).extensions["securitycam"].stop()
    assert "dashboard login: user admin, password from SECURITYCAM_PASSWORD" in caplog.messages
    caplog.clear()
    monkeypatch.setenv("SECURITYCAM_PASSWORD", "ignored on a later start")
    create_app(tmp_path / "data", hardware).extensions["securitycam"].stop()
    [login] = [message for message in caplog.messages if message.startswith("dashboard login")]
    assert login.startswith(
        "dashboard login: user admin, password as set before (SECURITYCAM_PASSWORD counts only on a first start"
    )
