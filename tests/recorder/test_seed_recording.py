"""The seed's recording aliases on the real recorder: ``/recording_status`` and ``/toggle_recording``
answer what ``/recording/status`` and ``/recording/start|stop`` do."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.recorder.conftest import Live, wait_for


def test_toggle_recording_starts_and_stops_a_manual_recording(live: Live):
    client = live.client
    wait_for(lambda: not client.get("/recording/status").json["recording"], timeout=30)
    idle = client.get("/recording_status").json
    assert idle == {"recording": False}

    started = client.post("/toggle_recording")
    assert started.status_code == 200, started.json
    assert "started" in started.json["message"].lower()
    status = client.get("/recording_status").json
    ours = client.get("/recording/status").json
    assert status["recording"] is ours["recording"] is True
    assert ours["cameras"][0]["manual_event"] == started.json["event_id"]
    event = live.appliance.events.get(started.json["event_id"])
    began = datetime.fromisoformat(status["started_at"])
    assert began.utcoffset().total_seconds() == 0 and began.timestamp() == pytest.approx(event.start_time)

    stopped = client.post("/toggle_recording")
    assert stopped.status_code == 200 and "stopped" in stopped.json["message"].lower()
    assert stopped.json["event_id"] == started.json["event_id"]
    assert client.get("/recording/status").json["cameras"][0]["manual_event"] is None


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"camera": 5}, 400, "camera"), ({"colour": "red"}, 400, "colour"), ({"camera": "nope"}, 404, None),
])
def test_toggle_recording_bad_input(live: Live, body: dict, status: int, field: str | None):
    response = live.client.post("/toggle_recording", json=body)
    assert response.status_code == status and response.json["success"] is False
    assert response.json.get("field") == field
    assert live.client.get("/recording/status").json["cameras"][0]["manual_event"] is None
