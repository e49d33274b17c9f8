"""Frigate's query parameters, read the way Frigate reads them: ``0``/``1`` flags, ``,``-separated
lists where ``all`` means no filter, epoch-second floats, ``HH:MM,HH:MM`` time ranges, IANA time
zones. Anything else is a 400 that names the parameter (never a 500)."""

from __future__ import annotations

import math
import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import request

from securitycam.api.common import ApiError

ALL = "all"
_CLOCK = re.compile(r"^([01]\d|2[0-4]):[0-5]\d$")


def bad(name: str, message: str) -> ApiError:
    return ApiError(400, f"{name}: {message}", field=name)


def flag(name: str, default: bool | None = None) -> bool | None:
    """A ``0``/``1`` parameter (``true``/``false`` too); ``default`` when absent."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in ("1", "true"):
        return True
    if lowered in ("0", "false"):
        return False
    raise bad(name, "must be 0 or 1")


def number(name: str, low: float | None = None, high: float | None = None) -> float | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError as exc:
        raise bad(name, "must be a number") from exc
    if not math.isfinite(value) or (low is not None and value < low) or (high is not None and value > high):
        raise bad(name, f"must be a number between {low} and {high}" if high is not None else "out of range")
    return value


def whole(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError as exc:
        raise bad(name, "must be a whole number") from exc
    if not low <= value <= high:
        raise bad(name, f"must be between {low} and {high}")
    return value


def names(name: str, *aliases: str) -> list[str] | None:
    """A ``,``-separated list (``name``, else the first of its singular ``aliases`` given); ``None`` for ``all``."""
    for key in (name, *aliases):
        raw = request.args.get(key)
        if raw is not None and raw.strip() and raw.strip() != ALL:
            values = [value.strip() for value in raw.split(",") if value.strip()]
            if len(values) > 100 or any(len(value) > 100 for value in values):
                raise bad(key, "at most 100 names of at most 100 characters")
            return values or None
    return None


def zone(name: str = "timezone") -> ZoneInfo:
    return named_zone(name, request.args.get(name) or "utc")


def named_zone(name: str, raw: str) -> ZoneInfo:
    """The IANA zone ``raw`` (``utc`` in any case, as Frigate's clients send it); a 400 naming ``name``."""
    try:
        return ZoneInfo("UTC" if raw.lower() == "utc" else raw)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise bad(name, f"unknown time zone {raw!r}") from exc


def utc_offset(tz: ZoneInfo) -> float:
    """The zone's offset from UTC now, in seconds (day and hour grouping use it for the whole range)."""
    offset = datetime.now(tz).utcoffset()
    return offset.total_seconds() if offset else 0.0


def time_range(name: str = "time_range") -> tuple[str, str] | None:
    """``HH:MM,HH:MM`` (``00:00,24:00`` is the whole day: no filter)."""
    raw = request.args.get(name)
    if raw is None or raw.strip() in ("", "00:00,24:00"):
        return None
    start, _, end = raw.partition(",")
    start, end = start.strip(), end.strip()
    if not _CLOCK.match(start) or not _CLOCK.match(end):
        raise bad(name, "must be HH:MM,HH:MM")
    return start, end
