"""First-boot setup (``/setup/*``) and the operating systems' captive-portal probes.

Who may set up: the hotspot is WPA2 with a password only on the card (and the console), so
whoever is on it had the card or the box in hand. While the hotspot is up and nobody has chosen
the dashboard password yet (``default-password.txt`` still exists: a first start without
``SECURITYCAM_PASSWORD``), ``POST /setup`` sets it from ``admin_password``. Once it is chosen,
every setup call needs it (checked and throttled like a login), so a second person on the hotspot
cannot take a configured appliance over, and the owner, who typed it, is never locked out (the
``reset-auth`` file remains the way back). ``GET /setup/wifi`` is open while the hotspot is up
and needs a login otherwise; ``GET /setup/status`` only tells what the setup page shows.

The probes: Android asks ``/generate_204`` for an empty 204, Apple ``/hotspot-detect.html`` for
its "Success" page, Windows ``/connecttest.txt`` (``/ncsi.txt`` before Windows 10), Firefox
``/canonical.html`` and ``/success.txt``. Any other answer means "captive portal": while the
hotspot is up each gets a ``302`` to the setup page (which the phone opens in its sign-in sheet);
otherwise the answer its system expects, so a phone on the appliance's LAN does not see a portal.
Windows then opens ``/redirect`` in a browser, which leads to the setup page too.
Every name resolves to the appliance on the hotspot, and port 80 reaches the app through the
captive-portal rule, so these paths are asked of us whatever host the probe names.

The setup page is the dashboard's ``/ui/setup/`` (``/setup`` leads there). A browser form
(``application/x-www-form-urlencoded``) gets HTML pages back, so it works with no script at all;
a JSON body gets JSON.
"""

from __future__ import annotations

import socket
import string
import zoneinfo
from functools import cache
from typing import Any

from flask import Blueprint, Response, g, jsonify, redirect, render_template_string, request
from pydantic import BaseModel, Field, ValidationError, field_validator

from securitycam.api.accounts import NewPassword, Secret
from securitycam.api.common import ApiError, appliance, describe_validation, parse_body, public
from securitycam.api.guard import client_address
from securitycam.auth import LoginFailed
from securitycam.auth.users import ADMIN
from securitycam.config import Settings
from securitycam.system.nmcli import HOTSPOT_ADDRESS, NetworkError

bp = Blueprint("setup", __name__)

# The dashboard's page (dashboard/src/pages/setup.astro), a plain form posted to /setup.
SETUP_PAGE = "/ui/setup/"
# Seconds a Wi-Fi scan (nmcli rescans the radio) answers every client asking for the network list.
NETWORK_SCAN_REUSE = 10.0
SUCCESS_BODIES = {
    "/hotspot-detect.html": ("<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>", "text/html"),
    "/library/test/success.html": ("<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>",
                                   "text/html"),
    "/connecttest.txt": ("Microsoft Connect Test", "text/plain"),
    "/ncsi.txt": ("Microsoft NCSI", "text/plain"),
    "/canonical.html": ('<meta http-equiv="refresh" content="0;url=https://support.mozilla.org/kb/captive-portal"/>',
                        "text/html"),
    "/success.txt": ("success\n", "text/plain"),
}
NO_CONTENT_PROBES = ("/generate_204", "/gen_204")
# Not probes: what a system opens in a browser once its probe found a portal (Windows 10/11:
# http://www.msftconnecttest.com/redirect). Nothing asks them of us otherwise.
PORTAL_PAGES = ("/redirect",)


@cache
def time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class SetupForm(BaseModel):
    """What the setup page sends. ``admin_password`` is the new dashboard password while none has
    been chosen, the current one afterwards; the other fields are optional."""

    admin_password: Secret = Field(min_length=1)
    wifi_ssid: str = Field("", max_length=32)
    # WPA2: 8 to 63 characters (or 64 hex digits); empty for an open network.
    wifi_password: str = Field("", max_length=64)
    timezone: str = Field("", max_length=64)
    camera_source: str = Field("", max_length=32)
    camera_url: str = Field("", max_length=1024)

    @field_validator("wifi_ssid")
    @classmethod
    def _ssid(cls, value: str) -> str:
        if any(ord(char) < 32 or ord(char) == 127 for char in value):
            raise ValueError("a network name cannot hold control characters")
        if len(value.encode()) > 32:
            raise ValueError("a network name is at most 32 bytes")
        return value

    @field_validator("wifi_password")
    @classmethod
    def _wpa_passphrase(cls, value: str) -> str:
        # IEEE 802.11i: a passphrase of 8 to 63 printable ASCII characters, or the key as 64 hex digits.
        if not value or (all(char in string.hexdigits for char in value) and len(value) == 64):
            return value
        if not 8 <= len(value) <= 63 or any(not " " <= char <= "~" for char in value):
            raise ValueError("a WPA2 password has 8 to 63 letters, digits, spaces or ASCII symbols, "
                             "or is 64 hex digits (empty for an open network)")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value and value not in time_zones():
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Europe/Berlin)")
        return value


class NewAdminPassword(BaseModel):
    admin_password: NewPassword


def _is_form() -> bool:
    return request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>securitycam setup</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
.error{color:#a00}</style></head><body>
<h1>{{ title }}</h1>
{% for line in lines %}<p{% if error %} class="error"{% endif %}>{{ line }}</p>{% endfor %}
<p><a href="{{ back }}">Back to the setup page</a></p>
</body></html>"""


def _html(status: int, title: str, lines: list[str], error: bool = False) -> Response:
    response = Response(render_template_string(PAGE, title=title, lines=lines, error=error, back=SETUP_PAGE),
                        status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _form() -> SetupForm:
    if not _is_form():
        return parse_body(SetupForm)
    try:
        return SetupForm.model_validate(request.form.to_dict())
    except ValidationError as exc:
        field, message = describe_validation(exc)
        raise ApiError(400, message, field=field) from exc


def _password_chosen() -> bool:
    return not appliance().paths.default_password_file.exists()


def _authorize(form: SetupForm) -> bool:
    """Check ``admin_password`` (or set it, on a fresh appliance on its hotspot); whether it was set now."""
    a = appliance()
    first_boot = a.first_boot
    if not _password_chosen() and first_boot.portal_on():
        try:
            NewAdminPassword.model_validate({"admin_password": form.admin_password})
        except ValidationError as exc:
            raise ApiError(400, describe_validation(exc)[1], field="admin_password") from exc
        return True
    admin = a.accounts.users.require(ADMIN)
    try:
        a.accounts.confirm_password(client_address(), admin, form.admin_password)
    except LoginFailed as exc:
        if exc.status == 429:
            raise
        raise ApiError(403, "the admin password is wrong (a reset-auth file in the boot partition resets it)",
                       field="admin_password") from exc
    return False


def _apply(form: SetupForm, set_password: bool) -> dict[str, Any]:
    """Make the changes, each checked before any is made."""
    a = appliance()
    camera = None
    if form.camera_source:
        first = a.settings.get().Cameras[0]
        changes = {"source": form.camera_source, **({"url": form.camera_url} if form.camera_url else {})}
        try:
            camera = type(first).model_validate({**first.model_dump(), **changes})
        except ValidationError as exc:
            raise ApiError(400, f"camera {describe_validation(exc)[1]}", field="camera_source") from exc
    if form.timezone:
        result = a.runner.run(["timedatectl", "set-timezone", form.timezone], timeout=15)
        if not result.ok:
            raise ApiError(502, f"could not set the time zone: {result.stderr.strip()[:200]}", field="timezone")
    if camera is not None:
        def first_camera(settings: Settings) -> None:
            settings.Cameras[0] = camera

        a.settings.modify(first_camera)
    if set_password:
        a.accounts.users.set_password(ADMIN, form.admin_password)
        a.auth.password_changed(ADMIN)
    answer: dict[str, Any] = {"success": True, "password_set": set_password}
    if form.wifi_ssid:
        try:
            a.first_boot.join(form.wifi_ssid, form.wifi_password)
        except NetworkError as exc:
            raise ApiError(409, str(exc)) from exc
        host = socket.gethostname()
        answer.update(joining=form.wifi_ssid, address=f"http://{host}.local:5005/",
                      message=f"joining {form.wifi_ssid!r}: the hotspot goes off now. Put this phone on "
                              f"{form.wifi_ssid!r} and open http://{host}.local:5005/ (or the address your router "
                              f"gives {host}). If it cannot join, the hotspot {a.first_boot.ssid!r} comes back "
                              "within a minute and this page shows why.")
    else:
        answer["message"] = "saved"
    return answer


@bp.get("/setup")
@public
def page():  # type: ignore[no-untyped-def]
    return redirect(SETUP_PAGE, 302)


@bp.get("/setup/status")
@public
def status():  # type: ignore[no-untyped-def]
    a = appliance()
    a.first_boot.visited()
    return jsonify({**a.first_boot.status(), "password_chosen": _password_chosen()})


@bp.get("/setup/wifi")
@public
def wifi():  # type: ignore[no-untyped-def]
    """Networks in range. While the hotspot is up the radio cannot scan, so these are the ones seen
    just before it came up (``cached: true``)."""
    a = appliance()
    first_boot = a.first_boot
    if not first_boot.portal_on() and g.identity is None and a.auth.enabled:
        raise ApiError(401, "authentication required (the network list is open only on the setup hotspot)")
    first_boot.visited()
    if first_boot.portal_on():
        return jsonify(networks=[n.to_dict() for n in first_boot.networks], cached=True)
    try:
        networks = a.answers.get("wifi networks", first_boot.network.scan, NETWORK_SCAN_REUSE)
    except NetworkError as exc:
        raise ApiError(502, f"Wi-Fi scan failed: {exc}") from exc
    return jsonify(networks=[n.to_dict() for n in networks], cached=False)


@bp.post("/setup")
@public
def setup():  # type: ignore[no-untyped-def]
    appliance().first_boot.visited()
    try:
        form = _form()
        answer = _apply(form, _authorize(form))
    except (ApiError, LoginFailed) as exc:
        if not _is_form():
            raise
        return _html(exc.status, "Setup not saved", [exc.message if isinstance(exc, ApiError) else str(exc)],
                     error=True)
    if not _is_form():
        return jsonify(answer), 202 if "joining" in answer else 200
    return _html(202 if "joining" in answer else 200, "Setup saved", [answer["message"]])


def _probe(path: str) -> Response:
    if appliance().first_boot.portal_on():
        response = redirect(f"http://{HOTSPOT_ADDRESS}{SETUP_PAGE}", code=302)
    elif path in PORTAL_PAGES:
        raise ApiError(404, f"{path} leads to the setup page only while the setup hotspot is up")
    elif path in NO_CONTENT_PROBES:
        response = Response(status=204)
    else:
        body, mimetype = SUCCESS_BODIES[path]
        response = Response(body, mimetype=mimetype)
    # A cached "no portal" would keep the sheet from opening the next time.
    response.headers["Cache-Control"] = "no-store"
    return response


for _path in (*NO_CONTENT_PROBES, *SUCCESS_BODIES, *PORTAL_PAGES):
    bp.add_url_rule(_path, f"probe{_path.replace('/', '_').replace('.', '_')}",
                    public(lambda _path=_path: _probe(_path)))
