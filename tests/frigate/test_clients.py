"""What real Frigate clients do: send ``Content-Type: application/json`` and a ``{}`` body with every
request, GETs included; log in with ``POST /api/login`` and carry the ``frigate_token`` cookie;
read ``/api/version`` as text. Every GET route of the Frigate API is called that way."""

from __future__ import annotations

import requests

from tests.conftest import PASSWORD
from tests.frigate.conftest import make_clip

# Routes that stream until the client hangs up; called with a streaming read instead.
STREAMING = {"/api/<camera>"}
# Routes with a required parameter.
QUERIES = {"/api/ffprobe": "?paths=cam", "/api/review_ids": "?ids=x"}
# Routes over kept footage or exports, which this test's idle camera has none of: a 404 that says
# so is their right answer (a body the server could not read would be a 400 or 415).
NEED_FOOTAGE = {"frigate_recordings.recording_snapshot", "frigate_recordings.range_clip", "frigate_vod.vod_range",
                "frigate_vod.vod_event", "frigate_vod.vod_hour",
                "frigate_exports.get_export", "frigate_export_files.export_file", "frigate_review.review_item",
                "frigate_review_files.review_thumbnail", "frigate_previews.preview_range",
                "frigate_previews.preview_hour", "frigate_previews.preview_thumbnail",
                "frigate_previews.review_preview", "frigate_previews.range_preview",
                "frigate_preview_files.preview_file"}


def url_for_rule(rule: str, event_id: str) -> str:
    if rule == "/exports/<name>":
        return "/exports/cam_x.mp4"
    values = {"camera": "cam", "camera_name": "cam", "label": "any", "event_id": event_id, "service": "frigate",
              "name": f"cam-{event_id}.jpg", "username": "admin", "start": "1700000000", "end": "1700000060",
              "frame_time": "1700000030", "image_format": "png", "playlist": "index.m3u8", "year_month": "2023-11",
              "day": "14", "hour": "22", "tz_name": "Europe,Berlin", "int:recording_id": "1", "export_id": "cam_x",
              "review_id": "x", "file_name": "preview_cam-1700000030.webp"}
    path = rule
    for key, value in values.items():
        path = path.replace(f"<{key}>", value)
    assert "<" not in path, f"no value for {rule}"
    return path


def test_every_get_answers_a_client_that_sends_an_empty_json_body(app, appliance, live_server):
    event = appliance.events.open("cam", "sensor", "reed_switch", start_time=appliance.clock.time() - 30)
    appliance.events.end(event.id)
    make_clip(appliance, event)
    session = requests.Session()
    session.headers["Content-Type"] = "application/json"
    login = session.post(f"{live_server.url}/api/login", json={"user": "admin", "password": PASSWORD}, timeout=10)
    assert login.status_code == 200
    # The first Set-Cookie is Frigate's session cookie (clients read only that one).
    assert login.raw.headers.getlist("Set-Cookie")[0].startswith("frigate_token=")
    version = session.get(f"{live_server.url}/api/version", data="{}", timeout=10)
    assert version.headers["Content-Type"].startswith("text/plain") and version.text.startswith("0.16.")

    called = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("frigate_") or "GET" not in rule.methods or rule.rule == "/api/logout":
            continue
        url = live_server.url + url_for_rule(rule.rule, event.id) + QUERIES.get(rule.rule, "")
        if rule.rule in STREAMING:
            with session.get(url, data="{}", stream=True, timeout=10) as response:
                assert response.status_code == 200, rule.rule
                assert next(response.iter_content(1024)).startswith(b"--frame")
        else:
            response = session.get(url, data="{}", timeout=30)
            expected = (200, 202, 404) if rule.endpoint in NEED_FOOTAGE else (200, 202)
            assert response.status_code in expected, (rule.rule, response.status_code, response.text[:200])
            if response.status_code == 404:
                assert response.json()["success"] is False, rule.rule
        called += 1
    assert called >= 30
    # Home Assistant's reads, as it makes them.
    config = session.get(f"{live_server.url}/api/config", data="{}", timeout=10).json()
    assert config["mqtt"]["topic_prefix"] == "frigate" and "cam" in config["cameras"]
    events = session.get(f"{live_server.url}/api/events?cameras=cam&limit=20&has_clip=1", data="{}", timeout=10).json()
    assert [item["id"] for item in events] == [event.id] and isinstance(events[0]["start_time"], float)
