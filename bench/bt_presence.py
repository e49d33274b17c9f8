"""Presence: what a check costs our own code, what a trigger's ``anyone_home()`` costs, how often
the SD card is written, and what bleak adds to memory.

Run: ``python bench/bt_presence.py``. The radio is simulated (FakeRadio under the real adapter), so
the check figures are our overhead only; on a Pi add the BLE listen time (``listen_seconds``) and
about 1 s of ``l2ping`` per device that does not advertise.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from securitycam.app import create_app
from securitycam.appliance import Hardware
from securitycam.bt.fake import FakeRadio
from securitycam.clock import ManualClock
from securitycam.system.host import HostReader
from securitycam.system.runner import RecordingRunner


def build(tmp: Path, devices: int):  # type: ignore[no-untyped-def]
    os.environ.setdefault("SECURITYCAM_PASSWORD", "bench password")
    runner, radio, clock = RecordingRunner(), FakeRadio(), ManualClock()
    (tmp / "sys").mkdir(exist_ok=True)
    hardware = Hardware(runner=runner, host=HostReader(tmp / "sys"), clock=clock, bluetooth=radio.adapter(runner))
    app = create_app(tmp / f"data{devices}", hardware, start=False)
    appliance = app.extensions["securitycam"]
    appliance.settings.update({"Bluetooth": {"listen_seconds": 0}})
    for n in range(devices):
        address = f"02:00:00:00:00:{n:02X}"
        appliance.presence.track(address, f"phone {n}")
        radio.arrive(address, advertises=False)
    return appliance, clock


def check_cost(tmp: Path) -> None:
    for devices in (1, 5, 20):
        appliance, clock = build(tmp, devices)
        times = []
        for _ in range(50):
            clock.advance(30)
            started = time.perf_counter()
            appliance.presence.poll()
            times.append((time.perf_counter() - started) * 1000)
        print(f"presence check, {devices:2d} devices (l2ping only): median {statistics.median(times):.2f} ms")
        appliance.stop()


def trigger_cost(tmp: Path) -> None:
    appliance, _ = build(tmp, 5)
    appliance.presence.poll()
    n = 200_000
    started = time.perf_counter()
    for _ in range(n):
        appliance.presence.anyone_home()
    print(f"anyone_home() at a sensor trigger: {(time.perf_counter() - started) / n * 1e9:.0f} ns")
    appliance.stop()


def sd_writes(tmp: Path) -> None:
    appliance, clock = build(tmp, 3)
    conn = appliance.db.connection()
    before = conn.total_changes
    for _ in range(120):  # one hour of checks every 30 s, everyone home
        clock.advance(30)
        appliance.presence.poll()
    writes = conn.total_changes - before
    print(f"row writes in an hour, 3 devices home, a check every 30 s: {writes} (of 360 sightings)")
    appliance.stop()


def bleak_memory() -> None:
    # Current RSS from /proc: ru_maxrss would carry over this (bigger) process's peak through fork and exec.
    probe = "{}; import re; print(re.search(r'VmRSS:\\s+(\\d+)', open('/proc/self/status').read()).group(1))"

    def rss_kb(imports: str) -> int:
        return int(subprocess.run([sys.executable, "-c", probe.format(imports)], capture_output=True).stdout)

    base = rss_kb("import securitycam.appliance")
    extra = (rss_kb("import securitycam.appliance, bleak.backends.bluezdbus.scanner") - base) / 1024
    print(f"RSS, appliance imported: {base / 1024:.1f} MB; bleak adds {extra:.1f} MB on first scan")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        check_cost(Path(tmp))
        trigger_cost(Path(tmp))
        sd_writes(Path(tmp))
    bleak_memory()
