"""Credentials inside URLs (``rtsp://admin:password@camera/stream``): a secret in plain sight.

A settings field made with :func:`~securitycam.config.base.url_with_credentials` holds a URL
whose user-info part (``user:password@``) no client ever reads back: settings are shown with it
replaced by :data:`MASK` (:func:`mask`), and a URL saved back with the mask, or with no
user-info at all, keeps the stored credentials (:func:`keep`) as long as it still points at the
same scheme, host and port; credentials are never handed to a host they were not typed for.
New credentials replace the old ones; an empty user-info (``rtsp://@camera/stream``) removes them.

Text that may quote such a URL (ffmpeg's and MediaMTX's logs, our own) is shown through
:func:`redact`. URLs are split as ffmpeg splits them (``av_url_split``): the authority ends at
the first ``/``, ``?`` or ``#``, and the user-info ends at the authority's last ``@``.
"""

from __future__ import annotations

import re

MASK = "***"

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_IN_TEXT = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s]*@")


class HiddenCredentials(ValueError):
    """A URL came back with masked credentials that cannot be restored (another host, or none stored)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def split(url: str) -> tuple[str, str | None, str]:
    """``(scheme://, user-info or None, the rest)``; a string without a scheme is all rest."""
    match = _SCHEME.match(url)
    if match is None:
        return "", None, url
    scheme, after = match.group(), url[match.end():]
    authority = re.split(r"[/?#]", after, maxsplit=1)[0]
    at = authority.rfind("@")
    if at < 0:
        return scheme, None, after
    return scheme, authority[:at], after[at + 1:]


def _place(scheme: str, rest: str) -> tuple[str, str]:
    """Where a URL points: its scheme and host[:port], compared without case."""
    return scheme.lower(), re.split(r"[/?#]", rest, maxsplit=1)[0].lower()


def mask(url: str) -> str:
    """``url`` with its user-info, if any, replaced by :data:`MASK`."""
    scheme, userinfo, rest = split(url)
    return f"{scheme}{MASK}@{rest}" if userinfo else url


def keep(new: str, old: str, field: str) -> str:
    """The URL to store when a client sends ``new`` in place of the stored ``old``.

    Raises :class:`HiddenCredentials` for a masked URL whose credentials cannot be restored.
    """
    scheme, userinfo, rest = split(new)
    if userinfo is not None and userinfo != MASK:
        return new if userinfo else f"{scheme}{rest}"
    old_scheme, old_userinfo, old_rest = split(old)
    if old_userinfo and _place(scheme, rest) == _place(old_scheme, old_rest):
        return f"{scheme}{old_userinfo}@{rest}"
    if userinfo is None:
        return new
    if not old_userinfo:
        raise HiddenCredentials(field, f"{field}: {MASK} stands for stored credentials, and none are stored")
    raise HiddenCredentials(
        field, f"{field}: the stored credentials are for {_place(old_scheme, old_rest)[1]}; type them for a new host"
    )


def redact(text: str) -> str:
    """``text`` with the user-info of every URL in it replaced by :data:`MASK`."""
    return _IN_TEXT.sub(rf"\1{MASK}@", text) if "://" in text else text
