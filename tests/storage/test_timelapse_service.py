"""The timelapse inside the appliance when its camera gives no frame (cameras idle here)."""

from __future__ import annotations

from securitycam.appliance import Appliance


def test_with_no_frame_nothing_is_captured_and_status_says_why(client, appliance: Appliance):
    assert client.post("/timelapse/start").status_code == 200
    appliance.timelapse.step()
    status = client.get("/timelapse/status").json
    assert status["enabled"] is True and status["today_frame_count"] == 0 and status["last_capture"] is None
    assert "no recent frame from camera 'cam'" in status["error"]
    assert not any((appliance.paths.timelapse / "frames").iterdir())


def test_timelapse_needs_a_token(anon):
    assert anon.get("/timelapse/status").status_code == 401
    assert anon.post("/timelapse/start").status_code == 401
    assert anon.post("/timelapse/delete", json={"path": "timelapse_20231114.mp4"}).status_code == 401
