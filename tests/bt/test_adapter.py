"""The BlueZ adapter's own edges: bleak with no BlueZ, a scan that never ends, bluetoothctl's output."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from securitycam.appliance import Hardware
from securitycam.bt import AdapterUnavailable, BluetoothAdapter, normalize_address
from securitycam.bt import adapter as adapter_module
from securitycam.bt.fake import FakeRadio
from securitycam.system.host import HostReader
from securitycam.system.runner import CommandResult, RecordingRunner
from tests.bt.conftest import PHONE, WATCH

CONTROLLER_SHOWN = CommandResult(0, "Controller B8:27:EB:12:34:56 (public)\n\tName: cam\n\tPowered: yes\n")


def test_off_a_pi_with_no_adapter_given_bluetooth_reports_no_adapter(tmp_path: Path) -> None:
    hardware = Hardware(runner=RecordingRunner(), host=HostReader(tmp_path)).resolved()
    with pytest.raises(AdapterUnavailable, match="no Bluetooth adapter found"):
        hardware.bluetooth.scan(1)  # type: ignore[union-attr]


def test_bleak_without_bluez_is_unavailable_not_a_crash() -> None:
    """bleak's real BlueZ backend, on a machine with no D-Bus system bus (or no bluetoothd on it)."""
    if Path("/run/dbus/system_bus_socket").exists():
        pytest.skip("this machine has a D-Bus system bus; a real adapter might answer")
    runner = RecordingRunner()
    runner.respond(["bluetoothctl", "show"], CONTROLLER_SHOWN)
    adapter = BluetoothAdapter(runner)
    started = time.monotonic()
    with pytest.raises(AdapterUnavailable, match="no Bluetooth service"):
        adapter.scan(5)
    assert time.monotonic() - started < 2
    adapter.close()


def test_a_scan_that_never_finishes_is_given_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(adapter_module, "TOOL_TIMEOUT", 0.2)
    radio = FakeRadio()
    backend = radio.scanner_backend()

    class StuckScanner(backend):  # type: ignore[misc, valid-type]
        async def start(self) -> None:
            await asyncio.sleep(3600)  # D-Bus call to a wedged bluetoothd

    runner = RecordingRunner()
    radio.attach(runner)
    adapter = BluetoothAdapter(runner, scanner_backend=StuckScanner)
    with pytest.raises(AdapterUnavailable, match="did not finish"):
        adapter.scan(0.05)
    # The next scan still works: the loop was not wedged by the abandoned one.
    adapter.scanner_backend = backend
    radio.arrive(PHONE)
    assert [s.address for s in adapter.scan(0.01)] == [PHONE]
    adapter.close()


def test_paired_devices_parsed_from_colored_output_and_older_bluez() -> None:
    runner = RecordingRunner()
    colored = f"\x1b[0;94m[bluetooth]\x1b[0m# Device {PHONE} Ana's phone\nDevice {WATCH}\n"
    runner.respond(["bluetoothctl", "devices", "Paired"], CommandResult(0, colored))
    assert BluetoothAdapter(runner).paired() == {PHONE: "Ana's phone", WATCH: None}

    old = RecordingRunner()
    old.respond(["bluetoothctl", "devices", "Paired"], CommandResult(0, "Invalid command in menu main: Paired\n"))
    old.respond(["bluetoothctl", "paired-devices"], CommandResult(0, f"Device {PHONE} Ana's phone\n"))
    assert BluetoothAdapter(old).paired() == {PHONE: "Ana's phone"}


def test_pairing_refused_by_bluez_gives_its_reason() -> None:
    from securitycam.bt import PairingFailed

    runner = RecordingRunner()
    runner.respond(["bluetoothctl", "show"], CONTROLLER_SHOWN)
    runner.respond(
        ["bluetoothctl", "pair"],
        CommandResult(1, "Attempting to pair with AA\nFailed to pair: org.bluez.Error.AuthenticationFailed\n"),
    )
    with pytest.raises(PairingFailed, match=r"^Failed to pair: org.bluez.Error.AuthenticationFailed$"):
        BluetoothAdapter(runner).pair(PHONE)
    assert not [c for c in runner.calls if c[1] == "trust"]


def test_l2ping_timing_out_is_not_near() -> None:
    from securitycam.system.runner import CommandTimeout

    def hangs(args: list[str]) -> Any:
        raise CommandTimeout("l2ping timed out")

    runner = RecordingRunner()
    runner.respond(["l2ping"], hangs)
    assert BluetoothAdapter(runner).is_near(PHONE) is False
    assert runner.calls == [["l2ping", "-c", "1", "-t", "3", PHONE]]


@pytest.mark.parametrize(
    ("raw", "normal"), [("aa:bb:cc:dd:ee:0f", "AA:BB:CC:DD:EE:0F"), (" AA:BB:CC:DD:EE:FF\n", "AA:BB:CC:DD:EE:FF")]
)
def test_addresses_are_normalized(raw: str, normal: str) -> None:
    assert normalize_address(raw) == normal


@pytest.mark.parametrize(
    "raw", ["AA:BB:CC:DD:EE:FF\nshow", "AA:BB:CC:DD:EE:F", "A:BB:CC:DD:EE:FF0", "AA:BB:CC:DD:EE:FG"]
)
def test_malformed_addresses_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="AA:BB:CC:DD:EE:FF"):
        normalize_address(raw)


def test_the_demo_has_a_simulated_room_a_user_can_pair_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from securitycam.app import create_app
    from securitycam.bt.fake import DEMO_PHONE
    from tests.conftest import PASSWORD

    monkeypatch.setenv("SECURITYCAM_PASSWORD", PASSWORD)
    app = create_app(tmp_path / "data", Hardware(host=HostReader(tmp_path)), start=False)
    client = app.test_client()
    token = client.post("/auth/validate", json={"password": PASSWORD}).json["token"]
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    try:
        scanned = client.post("/bt/scan", json={"duration": 0.05}).json["devices"]
        assert scanned[0] == {"address": DEMO_PHONE, "name": "Demo phone", "rssi": -58, "tracked": False}
        assert client.post("/devices/bt/add", json={"address": DEMO_PHONE}).status_code == 201
        assert client.get("/devices/bt").json["anyone_home"] is True
    finally:
        app.extensions["securitycam"].stop()
