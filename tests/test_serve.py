"""The design's contract for running it: ``securitycam serve`` (waitress in the appliance's one
process) answers while slow clients and SSE clients hold connections, and SIGTERM stops it cleanly."""

import ctypes
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

from bench.local_server import LocalServer
from securitycam.app import create_app

PASSWORD = "serve-test"
HALF_SENT = b"GET /auth/status HTTP/1.1\r\nHost: x\r\n"


class Served(LocalServer):
    """A real ``securitycam serve``, up and logged in, its output kept for the assertions."""

    def __init__(self, data_dir, *options: str) -> None:
        super().__init__(data_dir, *options, password=PASSWORD, output=subprocess.PIPE)
        self.wait_up(timeout=30)

    def open_stream(self) -> tuple[socket.socket, int]:
        """An SSE client on a raw socket (so that closing it closes the connection at once): (socket, status)."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        sock.sendall(f"GET /events?token={self.token} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        head = b""
        while b"\r\n" not in head:
            chunk = sock.recv(1)
            assert chunk, "connection closed before a status line"
            head += chunk
        return sock, int(head.split()[1])


@pytest.fixture
def served(tmp_path):
    started = []

    def start(*options: str) -> Served:
        server = Served(tmp_path / f"data{len(started)}", *options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()


def test_serve_answers_and_stops_on_sigterm(tmp_path):
    server = Served(tmp_path / "data", "--threads", "24")
    base, headers, proc = server.base, server.headers, server.proc
    try:
        assert requests.get(f"{base}/auth/status", timeout=5).json() == {"enabled": True, "valid": None}
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
        server.kill()
    output = proc.stdout.read().decode()
    settings = json.loads((tmp_path / "data" / "settings" / "settings.json").read_text())
    assert settings["Timelapse"]["fps"] == 7
    log = (tmp_path / "data" / "logs" / "api" / "api.log").read_text()
    assert "stopped" in log, output
    assert "dashboard login: user admin, password from SECURITYCAM_PASSWORD" in output


def test_serve_prints_where_it_listens_where_the_password_is_and_what_is_simulated(tmp_path):
    data = tmp_path / "data"
    server = LocalServer(data, "--threads", "24", password=None, output=subprocess.PIPE)
    proc, port = server.proc, server.port
    lines: list[str] = []
    logged_in = threading.Event()

    def read() -> None:
        for raw in proc.stdout:
            line = raw.decode()
            lines.append(line)
            if "dashboard login" in line:
                logged_in.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert logged_in.wait(30), "".join(lines)
    finally:
        server.stop(timeout=20)
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


def test_half_sent_requests_do_not_stop_the_api(served):
    server = served()
    slow = []
    try:
        for _ in range(100):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            sock.sendall(HALF_SENT)
            slow.append(sock)
        for _ in range(5):
            assert requests.get(f"{server.base}/auth/status", timeout=2).status_code == 200
            assert requests.get(f"{server.base}/settings", headers=server.headers, timeout=2).status_code == 200
    finally:
        for sock in slow:
            sock.close()


def test_half_sent_requests_are_dropped_after_the_idle_timeout(served):
    server = served("--idle-timeout", "2")
    slow = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(20)]
    try:
        for sock in slow:
            sock.sendall(HALF_SENT)
        for sock in slow:
            assert sock.recv(1024) == b""  # closed by the server, well before the socket's 10 s timeout
    finally:
        for sock in slow:
            sock.close()


def test_fifty_sse_clients_are_all_served_and_each_gets_an_alert(served):
    server = served()
    streams = [requests.get(f"{server.base}/events", headers=server.headers, stream=True, timeout=10)
               for _ in range(50)]
    try:
        assert [stream.status_code for stream in streams] == [200] * 50
        received = []

        def listen(stream):
            for line in stream.iter_lines(decode_unicode=True):
                if line == "event: sensor_state":
                    received.append(stream)
                    return

        listeners = [threading.Thread(target=listen, args=(stream,), daemon=True) for stream in streams]
        for listener in listeners:
            listener.start()
        assert requests.post(f"{server.base}/sensor/mock/trigger", headers=server.headers, timeout=5).ok
        for listener in listeners:
            listener.join(timeout=10)
        assert len(received) == 50
    finally:
        for stream in streams:
            stream.close()


def test_a_client_that_reconnects_at_once_is_not_refused_at_the_cap(served):
    server = served("--sse-clients", "2")
    first, status_first = server.open_stream()
    second, status_second = server.open_stream()
    extra, status_extra = server.open_stream()
    assert (status_first, status_second, status_extra) == (200, 200, 503)
    extra.close()
    first.close()
    again, status_again = server.open_stream()  # at once: the closed stream no longer counts
    assert status_again == 200
    second.close()
    third, status_third = server.open_stream()
    over, status_over = server.open_stream()
    assert (status_third, status_over) == (200, 503)  # the cap itself still holds
    for sock in (again, third, over):
        sock.close()


def test_requests_one_after_another_run_on_one_thread_not_on_each_in_turn():
    """Every thread that serves a request keeps its stack and a malloc arena resident: with hundreds
    of threads (SSE clients hold one each), handing requests out in turn made memory creep."""
    from securitycam.server import StackDispatcher

    class Task:
        def __init__(self):
            self.done = threading.Event()

        def service(self):
            used.add(threading.current_thread().name)
            self.done.set()

    used = set()
    dispatcher = StackDispatcher()
    dispatcher.set_thread_count(8)
    try:
        for _ in range(40):
            task = Task()
            dispatcher.add_task(task)
            assert task.done.wait(timeout=5)
            time.sleep(0.001)  # the thread goes back to waiting
    finally:
        dispatcher.shutdown(timeout=5)
    assert len(used) <= 2
    assert not dispatcher.threads  # all stopped


BIG_BUFFERS = """
import ctypes, sys
from securitycam.server import tune_malloc

class Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                                                     "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Mallinfo2
if sys.argv[1] == "tuned":
    tune_malloc()
bytearray(8 * 2**20)  # one big buffer, freed at once (an image, a file read)
buffers = [bytearray(512 * 1024) for _ in range(8)]  # later ones, alive together
print(libc.mallinfo2().hblks)
"""


@pytest.mark.skipif(not hasattr(ctypes.CDLL(None), "mallinfo2"), reason="not glibc 2.33+")
def test_big_buffers_freed_early_do_not_make_later_ones_come_from_the_heap():
    """glibc raises its mmap threshold to the size of each mapped block freed, so later big buffers
    went to the heap and left holes there that RSS kept; serve fixes the threshold (tune_malloc)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("MALLOC_")}

    def mapped_blocks(mode):
        result = subprocess.run([sys.executable, "-c", BIG_BUFFERS, mode], capture_output=True, text=True,
                                env=env, timeout=60, check=True)
        return int(result.stdout)

    assert mapped_blocks("default") < 8  # glibc's own behaviour, which the fix is for
    assert mapped_blocks("tuned") >= 8
