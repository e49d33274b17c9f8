"""``settings/settings.json``: loaded once, changed through validated updates, written atomically.

A file that cannot be parsed is moved aside and the defaults are used; a file that parses but has
invalid sections keeps its valid ones (a copy of the original is moved aside first). Either way the
appliance starts, logs why and raises an alert: losing a door sensor's configuration must never
stop the camera from recording.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from securitycam.config import credentials
from securitycam.config.models import Settings, credential_paths, secret_paths, set_shared, write_only_paths
from securitycam.fileio import write_atomic

log = logging.getLogger(__name__)

SHIPPED_DEFAULTS = Path(__file__).resolve().parents[2] / "settings" / "defaults.json"


class SecretField(ValueError):
    """A client tried to read or set a field that only the appliance may touch."""


class SettingRefused(ValueError):
    """A change a :meth:`SettingsStore.add_check` refused; ``field`` is the dotted field it names."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class SettingsStore:
    """The current :class:`Settings`, guarded by a lock and persisted on every change."""

    def __init__(self, path: Path, defaults_file: Path = SHIPPED_DEFAULTS) -> None:
        self.path = Path(path)
        self.defaults_file = defaults_file
        self.problems: list[str] = []
        self._lock = threading.RLock()
        self._listeners: list[Callable[[Settings, Settings], None]] = []
        self._checks: list[Callable[[Settings], None]] = []
        self._settings = self._load()
        set_shared(self._settings, True)

    # -- reading ---------------------------------------------------------------------------------
    def get(self) -> Settings:
        """The current settings, shared with every reader and read-only (see :class:`Shareable`).

        Not a copy: the guard reads settings on every request, and a deep copy cost 50 µs here.
        """
        return self._settings

    def public(self) -> dict[str, Any]:
        """The settings as a client may see them: secrets and write-only fields removed, credentials
        in URLs masked (the seed's names are added by ``securitycam.api.seed_names``)."""
        data = self.get().model_dump(mode="json")
        for path in secret_paths() | write_only_paths():
            _drop(data, path)
        for path in credential_paths():
            _mask_credentials(data, path)
        return data

    # -- changing --------------------------------------------------------------------------------
    def update(self, patch: dict[str, Any], before_commit: Callable[[], object] | None = None) -> Settings:
        """Deep-merge a client's ``patch`` into the settings, validate and save.

        Raises :class:`SecretField` if the patch names a secret, ``ValidationError`` if the result
        is invalid, :class:`~securitycam.config.credentials.HiddenCredentials` if masked
        credentials cannot be restored; in each case nothing changes. ``before_commit`` runs once
        the result is valid, before it is saved (a change elsewhere that goes with it; if it
        raises, the settings stay as they were).
        """
        for path in secret_paths():
            if _has(patch, path):
                raise SecretField(".".join(path))
        with self._lock:
            current = self._settings.model_dump(mode="json")
            merged = _deep_merge(current, patch)
            _keep_credentials(merged, current)
            validated = Settings.model_validate(merged)
            if before_commit is not None:
                before_commit()
            return self._commit(validated)

    def set_value(self, dotted_key: str, value: Any) -> Settings:
        """``PUT /settings/<key>``: replace one section (``StorageLimit``) or field (``StorageLimit.max_percent``).

        A replaced section's omitted fields return to their defaults; its secrets, and its
        write-only fields the value leaves out, are kept.
        Raises ``KeyError`` for an unknown key, :class:`SecretField` for a secret one.
        """
        path = tuple(dotted_key.split("."))
        with self._lock:
            current = self._settings.model_dump(mode="json")
            if not _has(current, path):
                raise KeyError(dotted_key)
            replaced = copy.deepcopy(current)
            _set(replaced, path, copy.deepcopy(value))
            for secret_path in secret_paths():
                if secret_path[: len(path)] != path:
                    continue
                if secret_path == path or _has(value, secret_path[len(path) :]):
                    raise SecretField(".".join(secret_path))
                # A value that is no object cannot hold the secret (and fails validation below).
                if isinstance(value, dict):
                    _set(replaced, secret_path, _get(current, secret_path))
            for kept in write_only_paths():
                if (kept[: len(path)] == path and kept != path and isinstance(value, dict)
                        and not _has(value, kept[len(path):])):
                    _set(replaced, kept, _get(current, kept))
            _keep_credentials(replaced, current)
            return self._commit(Settings.model_validate(replaced))

    def modify(self, change: Callable[[Settings], None]) -> Settings:
        """Change settings from inside the appliance (secrets included); validated on assignment."""
        with self._lock:
            draft = self._settings.model_copy(deep=True)
            set_shared(draft, False)
            change(draft)
            return self._commit(Settings.model_validate(draft.model_dump()))

    def on_change(self, listener: Callable[[Settings, Settings], None]) -> None:
        """Call ``listener(old, new)`` after every saved change."""
        self._listeners.append(listener)

    def add_check(self, check: Callable[[Settings], None]) -> None:
        """Call ``check(new)`` before every change is saved: what the model alone cannot know (a storage
        profile id that must exist). A :class:`SettingRefused` it raises refuses the change."""
        self._checks.append(check)

    def _commit(self, new: Settings) -> Settings:
        for check in self._checks:
            check(new)
        old = self._settings
        self._write(new)
        set_shared(new, True)
        self._settings = new
        for listener in list(self._listeners):
            try:
                listener(old, new)
            except Exception:
                log.exception("settings listener %r failed", listener)
        return new

    def _write(self, settings: Settings) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(settings.model_dump(mode="json"), indent=2) + "\n"
        write_atomic(self.path, text, mode=0o600)

    # -- loading ---------------------------------------------------------------------------------
    def _defaults(self) -> dict[str, Any]:
        try:
            return json.loads(self.defaults_file.read_text())
        except (OSError, ValueError):
            log.warning("shipped defaults %s unreadable; using built-in defaults", self.defaults_file)
            return {}

    def _load(self) -> Settings:
        # Temp files of a write that a crash interrupted; the real file is intact.
        for leftover in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            leftover.unlink(missing_ok=True)
        defaults = Settings.model_validate(self._defaults())
        try:
            raw = self.path.read_text()
        except FileNotFoundError:
            self._write(defaults)
            return defaults
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("top level is not an object")
        except ValueError as exc:
            self._set_aside(f"settings file is not valid JSON ({exc}); defaults used")
            self._write(defaults)
            return defaults
        try:
            return Settings.model_validate(data)
        except ValidationError as exc:
            settings = self._salvage(data, defaults, exc)
            self._write(settings)
            return settings

    def _salvage(self, data: dict[str, Any], defaults: Settings, exc: ValidationError) -> Settings:
        """Keep each section that validates on its own; defaults for the rest."""
        bad = sorted({str(err["loc"][0]) for err in exc.errors() if err["loc"]})
        self._set_aside(f"settings sections {', '.join(bad)} invalid; their defaults used", copy_only=True)
        kept = defaults.model_dump()
        kept.update({name: data[name] for name in Settings.model_fields if name in data and name not in bad})
        return Settings.model_validate(kept)

    def _set_aside(self, problem: str, copy_only: bool = False) -> None:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        if copy_only:
            aside.write_bytes(self.path.read_bytes())
        else:
            self.path.replace(aside)
        message = f"{problem}; original kept as {aside.name}"
        log.error(message)
        self.problems.append(message)


def _deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict) and key != "calibration":
            result[key] = _deep_merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def _has(data: Any, path: tuple[str, ...]) -> bool:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return False
        data = data[part]
    return True


def _get(data: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def _set(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data.setdefault(part, {})
    data[path[-1]] = value


def _drop(data: dict[str, Any], path: tuple[str, ...]) -> None:
    for part in path[:-1]:
        data = data.get(part, {})
    data.pop(path[-1], None)


def _mask_credentials(data: Any, path: tuple[str, ...]) -> None:
    head, rest = path[0], path[1:]
    if head == "*":
        for item in data if isinstance(data, list) else []:
            _mask_credentials(item, rest)
    elif isinstance(data, dict) and head in data:
        if rest:
            _mask_credentials(data[head], rest)
        elif isinstance(data[head], str):
            data[head] = credentials.mask(data[head])


def _keep_credentials(new: dict[str, Any], old: dict[str, Any]) -> None:
    """Put back the stored credentials of every URL in ``new`` that came back masked or without them."""
    for path in credential_paths():
        _restore(new, old, path, ())


def _restore(new: Any, old: Any, path: tuple[str, ...], where: tuple[str, ...]) -> None:
    head, rest = path[0], path[1:]
    if head == "*":
        if isinstance(new, list):
            olds = old if isinstance(old, list) else []
            for index, item in enumerate(new):
                _restore(item, _counterpart(item, olds, index), rest, (*where, str(index)))
        return
    if not isinstance(new, dict) or head not in new:
        return
    previous = old.get(head) if isinstance(old, dict) else None
    if rest:
        _restore(new[head], previous, rest, (*where, head))
    elif isinstance(new[head], str):
        stored = previous if isinstance(previous, str) else ""
        new[head] = credentials.keep(new[head], stored, ".".join((*where, head)))


def _counterpart(item: Any, olds: list[Any], index: int) -> Any:
    """The stored list item ``item`` replaces: the one with its ``name``, else the one at its place."""
    name = item.get("name") if isinstance(item, dict) else None
    for old in olds:
        if name is not None and isinstance(old, dict) and old.get("name") == name:
            return old
    return olds[index] if index < len(olds) else None
