"""``GET /system_stats/history``: the health monitor's readings of the last day and events per hour."""

import time

import pytest

from securitycam.system.history import StatsHistory
from tests.conftest import write_sys

THERMAL = "sys/class/thermal/thermal_zone0/temp"


def test_history_keeps_one_reading_a_period_and_forgets_past_its_span():
    history = StatsHistory(span=300, every=60)
    assert history.add(1000, {"cpu_percent": 10, "cpu_temp": 50.0})
    assert not history.add(1030, {"cpu_percent": 99})  # too soon after the last one kept
    for minute in range(1, 7):
        assert history.add(1000 + 60 * minute, {"cpu_percent": minute, "memory_percent": 20})
    columns = history.columns(since=0)
    assert columns["time"] == [1120, 1180, 1240, 1300, 1360]  # five minutes: the span
    assert columns["cpu_percent"] == [2, 3, 4, 5, 6]
    assert columns["cpu_temp"] == [None] * 5  # a reading that was missing stays a gap
    assert history.columns(since=1300)["time"] == [1300, 1360]


def test_history_endpoint_has_the_monitors_readings(client, appliance, sysroot, disk):
    write_sys(sysroot, THERMAL, "48500")
    disk.percent = 37.0
    # The monitor took a reading at start (its first tick); wait for it rather than sleeping.
    deadline = time.monotonic() + 5
    while not appliance.health.history.columns(0)["time"] and time.monotonic() < deadline:
        time.sleep(0.02)
    appliance.health.history.add(time.time() + 120, appliance.health.snapshot(appliance.health.check()))
    body = client.get("/system_stats/history").json
    assert body["every"] == 60
    assert len(body["time"]) == len(body["cpu_percent"]) == len(body["memory_percent"]) == 2
    assert body["cpu_temp"][-1] == 48.5 and body["disk_percent"][-1] == 37.0
    assert all(0 <= value <= 100 for value in body["memory_percent"])


def test_events_per_hour(client, appliance):
    now = time.time()
    hour = 3600
    for age in (10, 20, 2 * hour + 5, 30 * hour):  # the last is older than the window
        appliance.events.open("cam", "api", "test", start_time=now - age)
    body = client.get("/system_stats/history?hours=3").json["events_per_hour"]
    first = int((now - 3 * hour) // hour)
    assert body["start"] == first * hour
    expected = [0] * (int(now // hour) - first + 1)  # the hour holding the window's start, and on to now
    for age in (10, 20, 2 * hour + 5):
        expected[int((now - age) // hour) - first] += 1
    assert body["counts"] == expected


@pytest.mark.parametrize("hours", ["0", "25", "x"])
def test_history_hours_out_of_range(client, hours):
    response = client.get(f"/system_stats/history?hours={hours}")
    assert response.status_code == 400
    assert response.json["success"] is False and "hours" in response.json["message"]
