"""Roles and CSRF through HTTP, with the endpoints enumerated from the app's URL map, so an
endpoint added later by anyone is checked without this file changing."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask
from werkzeug.routing import AnyConverter, FloatConverter, IntegerConverter, Rule, UUIDConverter

from securitycam.system.runner import CommandResult
from tests.accounts.conftest import VIEWER, cookie, session_token
from tests.conftest import PASSWORD

SAFE = {"GET", "HEAD", "OPTIONS"}
# The only state-changing endpoints a viewer may call: each acts on the caller alone.
SELF_SERVICE = {
    "auth.set_password",
    "accounts.two_factor_enroll",
    "accounts.two_factor_confirm",
    "accounts.two_factor_disable",
    "frigate_auth.set_user_password",
    # A signed-in user stores their own browser's push subscription (it acts on the caller only).
    "frigate_notifications.register",
    # Reviewed marks are per user (Frigate 0.16): each marks or unmarks only their own.
    "frigate_review.mark_viewed",
    "frigate_review.mark_not_viewed",
}
PUBLIC = {
    "auth.status",
    "auth.validate",
    "accounts.login",
    "accounts.logout",
    "frigate_auth.login",
    "frigate_auth.logout",
    "frigate_auth.logout_by_get",  # answers 405 to anyone: a GET must not log out
    # The dashboard's static pages (each page's script asks the API, which checks the session).
    "dashboard.root",
    "dashboard.site",
    "dashboard.site_root",
    # First-boot setup: a phone on the hotspot has no session. POST /setup checks the admin password
    # itself (or sets it, on an unclaimed appliance on its hotspot); /setup/wifi needs a login off it.
    "setup.page",
    "setup.status",
    "setup.wifi",
    "setup.setup",
    # The operating systems' captive-portal probes, and the page Windows opens after its probe.
    *(f"setup.probe_{name}" for name in ("generate_204", "gen_204", "hotspot-detect_html",
                                         "library_test_success_html", "connecttest_txt", "ncsi_txt",
                                         "canonical_html", "success_txt", "redirect")),
}
# Reads that show secrets, or (the update check's ``git fetch``) cost the appliance real work.
ADMIN_ONLY_READS = {"accounts.list_api_keys", "frigate_auth.list_users", "system.update_check",
                    # VibeNVR: settings and storage profiles are for admins to read.
                    "settings.get_settings", "profiles.list_profiles"}


def _sample_url(rule: Rule) -> str:
    """A URL that ``rule`` matches, with a plausible value for each of its converters."""

    def sample(converter: object) -> object:
        if isinstance(converter, AnyConverter):
            return sorted(converter.items)[0]
        if isinstance(converter, IntegerConverter):
            return 1
        if isinstance(converter, FloatConverter):
            return 1.0
        if isinstance(converter, UUIDConverter):
            return uuid.UUID(int=1)
        return "sample"

    values = {name: sample(converter) for name, converter in rule._converters.items()}
    return rule.build(values)[1]


def _routes(app: Flask, want):  # type: ignore[no-untyped-def]
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if want(method, app.view_functions[rule.endpoint]):
                yield rule, method


def test_the_markers_are_exactly_the_reviewed_ones(app: Flask):
    marked = {name: view for name, view in app.view_functions.items()}
    assert {n for n, v in marked.items() if getattr(v, "self_service", False)} == SELF_SERVICE
    assert {n for n, v in marked.items() if getattr(v, "public", False)} == PUBLIC
    assert {n for n, v in marked.items() if getattr(v, "admin_only", False)} >= ADMIN_ONLY_READS


def test_a_viewer_gets_403_on_every_state_changing_endpoint(app: Flask, viewer):
    checked = 0
    for rule, method in _routes(app, lambda m, v: m not in SAFE):
        if rule.endpoint in SELF_SERVICE | PUBLIC:
            continue
        response = viewer.open(_sample_url(rule), method=method, json={})
        assert response.status_code == 403, (method, rule.rule, response.status_code)
        assert response.json["success"] is False and "admin role" in response.json["message"]
        checked += 1
    assert checked >= 10  # settings, system actions, users, API keys at least


def test_a_viewer_gets_403_on_admin_only_reads_and_can_read_the_rest(app: Flask, viewer):
    for rule, method in _routes(app, lambda m, v: getattr(v, "admin_only", False)):
        assert viewer.open(_sample_url(rule), method=method).status_code == 403, rule.rule
    assert viewer.get("/settings").status_code == 403
    assert viewer.get("/system_info").status_code == 200
    assert viewer.get("/auth/me").json["role"] == "viewer"


def test_a_state_changing_request_by_a_viewer_changes_nothing(viewer, client):
    before = client.get("/settings").json
    assert viewer.post("/settings", json={"StorageLimit": {"max_percent": 50}}).status_code == 403
    assert client.get("/settings").json == before


def test_self_service_endpoints_act_only_on_the_caller(viewer, admin_session):
    assert viewer.put("/api/users/admin/password", json={"password": "taken over"}).status_code == 403
    assert admin_session.post("/auth/login", data={"username": "admin", "password": PASSWORD}).status_code == 200


@pytest.mark.parametrize(
    "method,path,body", [("post", "/settings", {"Timelapse": {"fps": 12}}), ("post", "/auth/regenerate", None)]
)
def test_admin_cookie_changes_need_the_csrf_header(app: Flask, method, path, body):
    browser = app.test_client()
    session_token(browser, "admin", PASSWORD)
    send = getattr(browser, method)
    refused = send(path, json=body)
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json["message"]
    wrong = send(path, json=body, headers={"X-CSRF-Token": "not the cookie"})
    assert wrong.status_code == 403
    assert send(path, json=body, headers={"X-CSRF-Token": cookie(browser, "csrf_token")}).status_code == 200
    assert browser.get("/settings").status_code == 200  # reads need no header


def test_bearer_and_api_key_requests_need_no_csrf_header(admin_session, app: Flask):
    assert admin_session.post("/settings", json={"Timelapse": {"fps": 12}}).status_code == 200
    key = admin_session.post("/auth/api-keys", json={"name": "ha"}).json["key"]
    assert (
        app.test_client().post("/settings", json={"Timelapse": {"fps": 10}}, headers={"X-API-Key": key}).status_code
        == 200
    )


def test_the_appliance_token_still_works_in_header_and_query(app: Flask, token):
    anon = app.test_client()
    assert anon.get(f"/settings?token={token}").status_code == 200
    assert anon.get("/auth/status", headers={"Authorization": f"Bearer {token}"}).json == {
        "enabled": True,
        "valid": True,
    }
    me = anon.get(f"/auth/me?token={token}").json
    assert me["username"] == "admin" and me["role"] == "admin" and me["auth_method"] == "token"
    assert anon.post(f"/settings?token={token}", json={"Timelapse": {"fps": 10}}).status_code == 200
    assert anon.get("/settings?token=wrong").json["message"] == "invalid token"


def test_without_auth_everyone_is_admin(client, anon):
    assert client.post("/settings", json={"Auth": {"enabled": False}}).status_code == 200
    assert anon.post("/settings", json={"Timelapse": {"fps": 10}}).status_code == 200
    assert anon.get("/auth/me").json["auth_method"] == "open"


def test_role_changes_apply_to_existing_sessions(admin_session, viewer):
    assert viewer.post("/settings", json={"Timelapse": {"fps": 10}}).status_code == 403
    promoted = admin_session.put(f"/api/users/{VIEWER}/role", json={"role": "admin"})
    assert promoted.json == {"username": VIEWER, "role": "admin"}
    assert viewer.post("/settings", json={"Timelapse": {"fps": 10}}).status_code == 200


def test_a_viewer_cannot_make_the_appliance_ask_for_updates(viewer, admin_session, runner):
    runner.respond(["git"], lambda args: CommandResult(0, "0\n" if "rev-list" in args else "main\n"))
    refused = viewer.get("/system/update/check")
    assert refused.status_code == 403 and "admin role" in refused.json["message"]
    assert not any("ls-remote" in call for call in runner.calls)
    admin_session.get("/system/update/check")
    assert sum("ls-remote" in call for call in runner.calls) == 1
