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
QUERIES = {"/api/ffprobe": "?paths=cam"}


def url_for_rule(rule: str, event_id: str) -> str:
    values = {"camera": "cam", "label": "any", "event_id": event_id, "service": "frigate",
              "name": f"cam-{event_id}.jpg", "username": "admin"}
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
            assert response.status_code in (200, 202), (rule.rule, response.status_code, response.text[:200])
        called += 1
    assert called >= 30
    # Home Assistant's reads, as it makes them.
    config = session.get(f"{live_server.url}/api/config", data="{}", timeout=10).json()
    assert config["mqtt"]["topic_prefix"] == "frigate" and "cam" in config["cameras"]
    events = session.get(f"{live_server.url}/api/events?cameras=cam&limit=20&has_clip=1", data="{}", timeout=10).json()
    assert [item["id"] for item in events] == [event.id] and isinstance(events[0]["start_time"], float)
