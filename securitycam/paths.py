"""The data directory layout, and the one way a client-supplied path is turned into a file.

Every path that arrives in a request goes through :func:`resolve_inside`; it either lands
inside the directory it belongs to or raises :class:`PathRefused` (answered with 400).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


class PathRefused(ValueError):
    """A client named a path outside the directory it may touch."""


@dataclass(frozen=True)
class DataPaths:
    """Where each kind of data lives below ``--data-dir`` (see the design's storage layout)."""

    root: Path

    @property
    def settings_dir(self) -> Path:
        return self.root / "settings"

    @property
    def settings_file(self) -> Path:
        return self.settings_dir / "settings.json"

    @property
    def database(self) -> Path:
        return self.root / "securitycam.db"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def recordings(self) -> Path:
        return self.root / "recordings"

    @property
    def timelapse(self) -> Path:
        return self.root / "timelapse"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def run(self) -> Path:
        """Pid files of the child processes we supervise (see ``recorder/process.py``)."""
        return self.root / "run"

    @property
    def default_password_file(self) -> Path:
        return self.root / "default-password.txt"

    @property
    def session_secret_file(self) -> Path:
        return self.root / "session-secret"

    def create(self) -> None:
        # Settings, the database and the clips are the owner's alone.
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        for directory in (
            self.settings_dir,
            self.cache,
            self.recordings,
            self.timelapse,
            self.exports,
            self.logs / "api",
        ):
            directory.mkdir(parents=True, exist_ok=True)


def resolve_inside(base: Path, name: str | os.PathLike[str]) -> Path:
    """Resolve ``name`` (absolute, or relative to ``base``) and refuse it unless it lies in ``base``.

    Symlinks are resolved first, so a link inside ``base`` that points out is refused too.
    """
    if not isinstance(name, (str, os.PathLike)) or str(name) == "" or "\x00" in str(name):
        raise PathRefused("a path is required")
    base_real = base.resolve()
    candidate = Path(name)
    if not candidate.is_absolute():
        candidate = base_real / candidate
    resolved = candidate.resolve()
    if resolved == base_real or base_real not in resolved.parents:
        raise PathRefused(f"path is outside {base.name}/")
    return resolved
