"""The base of every settings model: sections that can be shared read-only between readers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr


def secret(default: Any = None) -> Any:
    """A field that only the appliance itself reads and writes (hashes, keys)."""
    return Field(default, json_schema_extra={"secret": True})


def write_only(default: Any = None) -> Any:
    """A credential the appliance sends elsewhere (a broker's password): clients set it, never read it."""
    return Field(default, json_schema_extra={"write_only": True})


def url_with_credentials(default: str = "") -> Any:
    """A URL that clients read and write, but whose ``user:password@`` part they never read back."""
    return Field(default, json_schema_extra={"secret_credentials": True})


class Shareable(BaseModel):
    """A settings object that can be handed to every reader at once.

    The store gives out its current settings without copying them (reads happen on every request);
    once shared, assigning a field raises, so a reader cannot change them behind the store's back.
    Changes go through :meth:`SettingsStore.update` or :meth:`SettingsStore.modify`, which work on
    an unshared copy. (Lists and dicts inside are not guarded: treat them as read-only too.)
    """

    _shared: bool = PrivateAttr(default=False)

    def __setattr__(self, name: str, value: Any) -> None:
        if self._shared and not name.startswith("_"):
            raise TypeError(f"shared settings are read-only: change {name!r} through SettingsStore.modify()")
        super().__setattr__(name, value)


def set_shared(model: BaseModel, shared: bool) -> None:
    """Mark ``model`` and every settings object inside it (shared) read-only, or writable again."""
    if isinstance(model, Shareable):
        model._shared = shared
    for name in type(model).model_fields:
        value = getattr(model, name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, BaseModel):
                set_shared(item, shared)


class Section(Shareable):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)
