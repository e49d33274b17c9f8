"""Pairing transcripts: each pairing attempt (``POST /bt/discoverable``, ``POST /devices/bt/add``)
leaves ``logs/bluetooth-pairing/<local time>.log`` with every ``bluetoothctl`` command, its output
and the outcome, listed and read by the logs API like the install scripts' logs::

    with pairing_log(paths.logs, adapter, clock, "POST /devices/bt/add AA:BB:CC:DD:EE:FF") as lines:
        adapter.pair("AA:BB:CC:DD:EE:FF")
        lines.append("paired")
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from securitycam.bt.adapter import BluetoothAdapter
from securitycam.clock import Clock
from securitycam.fileio import write_atomic

log = logging.getLogger(__name__)

CATEGORY = "bluetooth-pairing"
# Older transcripts are deleted beyond this many: a pairing log must never fill the SD card.
KEEP = 20


@contextmanager
def pairing_log(logs_dir: Path, adapter: BluetoothAdapter, clock: Clock, title: str) -> Iterator[list[str]]:
    """Record the block's BlueZ commands; the yielded list takes the caller's own lines (the outcome).

    An exception leaving the block is written as the outcome, then raised on.
    """
    started = datetime.fromtimestamp(clock.time())
    lines = [title, f"started {started:%Y-%m-%d %H:%M:%S}"]
    with adapter.transcript() as commands:
        try:
            yield commands
        except Exception as exc:
            commands.append(f"failed: {exc}")
            raise
        finally:
            _write(logs_dir / CATEGORY, started, [*lines, *commands])


def _write(directory: Path, started: datetime, lines: list[str]) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        stem = f"{started:%Y-%m-%d_%H-%M-%S}"
        path = directory / f"{stem}.log"
        serial = 1
        while path.exists():
            serial += 1
            path = directory / f"{stem}_{serial}.log"
        write_atomic(path, "\n".join(lines) + "\n")
        for old in sorted(directory.glob("*.log"))[:-KEEP]:
            old.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not write the pairing log in %s: %s", directory, exc)
