"""Real small filesystems for disk-space tests: a tmpfs or a loop-mounted ext4 image, and a way to
fill one to its last byte.

Mounting needs root (the sandbox and CI run as root); elsewhere the tests that need one are
skipped with the reason, never faked.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

MIB = 1024 * 1024


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, check=False)


def _unmount(mountpoint: Path) -> None:
    # A child process of the appliance (ffmpeg) may still be closing its files: detach lazily.
    if _run("umount", str(mountpoint)).returncode != 0:
        _run("umount", "-l", str(mountpoint))


@contextlib.contextmanager
def tmpfs(mountpoint: Path, size: int) -> Iterator[Path]:
    """A ``size``-byte tmpfs at ``mountpoint``: its free space is exactly what is not written."""
    mountpoint.mkdir(parents=True, exist_ok=True)
    done = _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(mountpoint))
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        _unmount(mountpoint)


@contextlib.contextmanager
def ext4(mountpoint: Path, size: int, reserved_percent: int = 5) -> Iterator[Path]:
    """A loop-mounted ext4 of ``size`` bytes with ``reserved_percent`` of its blocks kept for root."""
    if shutil.which("mkfs.ext4") is None:
        pytest.skip("mkfs.ext4 is not installed")
    image = mountpoint.with_name(mountpoint.name + ".img")
    with open(image, "wb") as handle:
        handle.truncate(size)
    made = _run("mkfs.ext4", "-q", "-F", "-m", str(reserved_percent), str(image))
    if made.returncode != 0:
        pytest.skip(f"mkfs.ext4 failed: {made.stderr.strip()}")
    mountpoint.mkdir(parents=True, exist_ok=True)
    done = _run("mount", "-o", "loop", str(image), str(mountpoint))
    if done.returncode != 0:
        image.unlink()
        pytest.skip(f"cannot loop-mount an ext4 image here: {done.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        _unmount(mountpoint)
        image.unlink(missing_ok=True)


def fill(path: Path) -> int:
    """Write ``path`` until the filesystem has not one byte left; the bytes written."""
    written = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for chunk in (MIB, 64 * 1024, 4096, 512, 1):
            block = b"\0" * chunk
            with contextlib.suppress(OSError):
                while True:
                    written += os.write(fd, block)
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
    return written


def df_percent(path: Path) -> int:
    """``df``'s Use% of the filesystem holding ``path``."""
    done = subprocess.run(["df", "--output=pcent", str(path)], capture_output=True, text=True, check=True)
    return int(done.stdout.splitlines()[-1].strip().rstrip("%"))
