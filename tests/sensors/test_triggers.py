"""From a pin edge to an event: hold, re-trigger, bounce, invert, pulses, presence, several sensors."""

from __future__ import annotations

import threading
import time

import pytest

from securitycam.bus import SENSOR_STATE
from tests.waiting import wait_for


def configure(client, **body):
    response = client.post("/sensor/configure", json=body)
    assert response.status_code == 200, response.json
    return response.json["sensor"]


def add(client, **body):
    response = client.post("/sensors", json=body)
    assert response.status_code == 201, response.json
    return response.json["sensor"]


def test_door_opening_opens_an_event_that_ends_hold_seconds_after_it_closes(client, wire, clock):
    configure(client, type="reed_switch", gpio=22, hold_seconds=10)
    assert wire.status()["armed"] and not wire.status()["triggered"]
    assert wire.sensor_events() == []

    opened_at = clock.time()
    wire.high(22)
    status = wire.status()
    assert status["triggered"] and status["recording_from_sensor"]
    [event] = wire.sensor_events()
    assert (event.camera, event.label, event.source) == ("cam", "reed_switch", "sensor")
    assert event.start_time == opened_at and event.in_progress
    assert status["event_id"] == event.id

    wire.wait(1)
    wire.low(22)
    assert not wire.status()["triggered"]
    assert wire.status()["recording_from_sensor"], "the hold keeps the event open"
    wire.wait(9.5)
    assert wire.appliance.events.get(event.id).in_progress
    wire.wait(0.6)
    ended = wire.appliance.events.get(event.id)
    assert ended.end_time == pytest.approx(opened_at + 11.1)
    assert not wire.status()["recording_from_sensor"]


def test_a_trigger_during_the_hold_continues_the_same_event(client, wire):
    configure(client, type="reed_switch", gpio=22, hold_seconds=10)
    wire.high(22)
    wire.wait(1)
    wire.low(22)
    wire.wait(5)
    wire.high(22)
    wire.wait(8)  # past the first hold's end: the re-trigger cancelled it
    [event] = wire.sensor_events()
    assert event.in_progress
    wire.low(22)
    wire.wait(10.1)
    [event] = wire.sensor_events()
    assert not event.in_progress
    wire.high(22)
    assert len(wire.sensor_events()) == 2, "a trigger after the hold opens a new event"


def test_hold_zero_ends_the_event_on_release(client, wire):
    configure(client, type="reed_switch", gpio=22, hold_seconds=0)
    wire.high(22)
    wire.wait(2)
    wire.low(22)
    [event] = wire.sensor_events()
    assert event.end_time - event.start_time == pytest.approx(2)


def test_contact_bounce_is_one_trigger_and_the_final_level_wins(client, wire):
    configure(client, type="reed_switch", gpio=22, calibration={"bounce_ms": 50})
    states = len(wire.appliance.bus.recent(SENSOR_STATE))
    for _ in range(5):  # the contact chatters for 20 ms while the door opens
        wire.high(22)
        wire.wait(0.002)
        wire.low(22)
        wire.wait(0.002)
    wire.high(22)
    assert wire.status()["triggered"]
    wire.wait(0.1)
    assert wire.status()["triggered"]
    assert len(wire.sensor_events()) == 1
    assert len(wire.appliance.bus.recent(SENSOR_STATE)) == states + 1, "one state change, one message"


def test_a_glitch_shorter_than_the_bounce_time_settles_back(client, wire):
    configure(client, type="reed_switch", gpio=22, hold_seconds=0, calibration={"bounce_ms": 50})
    wire.high(22)
    wire.wait(0.01)
    wire.low(22)
    assert wire.status()["triggered"], "inside the lock-out the release is not seen yet"
    wire.wait(0.05)
    assert not wire.status()["triggered"], "when the lock-out ends the pin's real level counts"
    [event] = wire.sensor_events()
    assert not event.in_progress


def test_without_debounce_every_edge_counts(client, wire):
    configure(client, type="reed_switch", gpio=22, hold_seconds=0, calibration={"bounce_ms": 0})
    for _ in range(3):
        wire.high(22)
        wire.low(22)
    assert len(wire.sensor_events()) == 3


def test_invert_logic_triggers_on_low(client, wire):
    wire.pins.pin(13).drive_high()  # magnet away: a plain hall sensor would be triggered
    configure(client, type="hall_digital", gpio=13, invert_logic=True)
    assert not wire.status()["triggered"]
    wire.low(13)  # the magnet arrives
    assert wire.status()["triggered"]
    [event] = wire.sensor_events()
    assert event.label == "hall_digital"
    wire.wait(0.1)
    wire.high(13)
    assert not wire.status()["triggered"]


def test_a_sensor_already_triggered_when_armed_opens_an_event(client, wire):
    wire.pins.pin(22).drive_high()  # the door is open when the sensor is switched on
    configure(client, type="reed_switch", gpio=22)
    assert wire.status()["triggered"]
    assert len(wire.sensor_events(in_progress=True)) == 1


def test_the_push_button_triggers_while_pressed(client, wire):
    wire.pins.pin(26).drive_high()  # released: the pull-up holds the line HIGH
    configure(client, type="button", gpio=26, hold_seconds=0)
    assert not wire.status()["triggered"]
    wire.low(26)
    assert wire.status()["triggered"]
    wire.wait(0.1)
    wire.high(26)
    [event] = wire.sensor_events()
    assert event.label == "button" and not event.in_progress


class TestVibration:
    def test_pulses_inside_the_window_trigger(self, client, wire):
        configure(client, type="vibration", gpio=5, calibration={"pulse_count": 3, "pulse_window": 5})
        wire.pulse(5)
        wire.wait(1)
        wire.pulse(5)
        assert not wire.status()["triggered"], "two knocks are not enough"
        assert wire.sensor_events() == []
        wire.wait(1)
        wire.pulse(5)
        assert wire.status()["triggered"]
        [event] = wire.sensor_events()
        assert event.label == "vibration"

    def test_pulses_spread_wider_than_the_window_never_trigger(self, client, wire):
        configure(client, type="vibration", gpio=5, calibration={"pulse_count": 3, "pulse_window": 5})
        for _ in range(6):
            wire.pulse(5)
            wire.wait(2.6)  # at most two pulses in any 5 s
        assert not wire.status()["triggered"]
        assert wire.sensor_events() == []

    def test_it_releases_after_a_quiet_window_then_holds(self, client, wire):
        configure(
            client, type="vibration", gpio=5, hold_seconds=3, calibration={"pulse_count": 2, "pulse_window": 2}
        )
        wire.pulse(5)
        wire.pulse(5)
        assert wire.status()["triggered"]
        wire.wait(1)
        wire.pulse(5)  # still shaking: stays triggered
        wire.wait(1.5)
        assert wire.status()["triggered"]
        wire.wait(0.6)
        status = wire.status()
        assert not status["triggered"] and status["recording_from_sensor"]
        wire.wait(3.1)
        [event] = wire.sensor_events()
        assert not event.in_progress

    def test_chatter_within_one_pulse_is_one_pulse(self, client, wire):
        configure(
            client, type="vibration", gpio=5, calibration={"pulse_count": 2, "pulse_window": 5, "bounce_ms": 20}
        )
        for _ in range(4):
            wire.high(5)
            wire.wait(0.001)
            wire.low(5)
            wire.wait(0.001)
        wire.wait(0.1)
        assert not wire.status()["triggered"]
        wire.pulse(5)
        assert wire.status()["triggered"]


def test_pir_motion_through_gpiozero_sampling(client, wire):
    configure(client, type="pir", gpio=17, hold_seconds=0, calibration={"sample_rate": 100, "queue_len": 2})

    def triggered_becomes(triggered: bool) -> None:
        # gpiozero's own sampling thread sees the pin: on a loaded machine it may lag for seconds.
        wait_for(lambda: wire.status()["triggered"] == triggered, timeout=30, what=f"PIR triggered={triggered}")

    time.sleep(0.05)  # let MotionSensor take its first samples
    assert not wire.status()["triggered"]
    wire.pins.pin(17).drive_high()
    triggered_becomes(True)
    assert len(wire.sensor_events(in_progress=True)) == 1
    wire.pins.pin(17).drive_low()
    triggered_becomes(False)
    wire.settle()
    assert wire.sensor_events(in_progress=True) == []


def test_pir_averaging_ignores_a_short_spike(client, wire):
    # Twenty samples a second, twenty averaged: motion needs more than ten "high" samples, over half a
    # second of high pin. The spike below lasts 0.15 s (sampled about three times, so without the
    # averaging it would trigger); a loaded machine may stretch that sleep by a few tenths of a second
    # and it still stays under half a second (at 100 Hz and 15 ms, 40 ms late was enough to trigger).
    calibration = {"sample_rate": 20, "queue_len": 20, "sensitivity": 0.5}
    configure(client, type="pir", gpio=17, calibration=calibration)
    time.sleep(1.5)  # fill the queue with "no motion" (``partial``: fewer samples would weigh more)
    wire.pins.pin(17).drive_high()
    time.sleep(0.15)
    wire.pins.pin(17).drive_low()
    time.sleep(1.2)  # the spike's samples pass through the whole queue
    wire.settle()
    assert wire.sensor_events() == []
    wire.pins.pin(17).drive_high()
    wait_for(lambda: wire.status()["triggered"], timeout=30, what="sustained motion to trigger")
    assert len(wire.sensor_events()) == 1


def test_presence_suppresses_a_trigger(client, wire, presence):
    configure(client, type="reed_switch", gpio=22)
    presence.home = True
    wire.high(22)
    status = wire.status()
    assert status["triggered"] and status["suppressed"] and not status["recording_from_sensor"]
    assert wire.sensor_events() == []
    wire.wait(0.1)
    wire.low(22)
    assert not wire.status()["suppressed"]
    presence.home = False
    wire.wait(0.1)
    wire.high(22)
    assert not wire.status()["suppressed"]
    assert len(wire.sensor_events()) == 1


def test_ignore_presence_records_anyway(client, wire, presence):
    configure(client, type="reed_switch", gpio=22, ignore_presence=True)
    presence.home = True
    wire.high(22)
    assert not wire.status()["suppressed"]
    assert len(wire.sensor_events()) == 1


def test_two_sensors_on_two_cameras_at_once(client, wire):
    configure(client, type="reed_switch", gpio=22, hold_seconds=5)
    add(client, id="garage", type="pir", gpio=17, camera="garage", hold_seconds=0,
        calibration={"sample_rate": 100})
    add(client, id="window", type="tilt", gpio=6, camera="garage", hold_seconds=0)
    wire.high(22)
    wire.high(6)
    wire.wait(0.2)
    door = wire.sensor_events(camera="cam")
    window = wire.sensor_events(camera="garage")
    assert [e.label for e in door] == ["reed_switch"] and [e.label for e in window] == ["tilt"]
    wire.low(6)
    assert not wire.appliance.events.get(window[0].id).in_progress
    assert wire.appliance.events.get(door[0].id).in_progress, "one sensor's release leaves the other's event"
    assert wire.status("window")["triggered"] is False and wire.status()["triggered"] is True


def test_a_manual_recording_is_never_ended_by_a_sensor(client, wire, appliance):
    configure(client, type="reed_switch", gpio=22, hold_seconds=1)
    manual = appliance.events.open("cam", "manual", "manual")
    wire.high(22)
    wire.wait(0.1)
    wire.low(22)
    wire.wait(5)
    assert not wire.sensor_events()[0].in_progress
    assert appliance.events.get(manual.id).in_progress


def test_reconfiguring_while_triggered_keeps_the_event_when_still_triggered(client, wire):
    configure(client, type="reed_switch", gpio=22, hold_seconds=10)
    wire.high(22)
    [event] = wire.sensor_events()
    configure(client, type="reed_switch", gpio=22, hold_seconds=2, calibration={"bounce_ms": 10})
    assert wire.status()["triggered"]
    assert wire.status()["event_id"] == event.id
    wire.low(22)
    wire.wait(2.1)
    assert not wire.appliance.events.get(event.id).in_progress, "the new hold_seconds applies"
    assert len(wire.sensor_events()) == 1


def test_reconfiguring_to_an_idle_pin_releases_into_the_hold(client, wire):
    configure(client, type="reed_switch", gpio=22, hold_seconds=10)
    wire.high(22)
    [event] = wire.sensor_events()
    configure(client, type="reed_switch", gpio=23, hold_seconds=3)
    status = wire.status()
    assert not status["triggered"] and status["recording_from_sensor"]
    wire.high(22)  # the old pin is no longer watched
    assert not wire.status()["triggered"]
    wire.wait(3.1)
    assert not wire.appliance.events.get(event.id).in_progress
    assert len(wire.sensor_events()) == 1


def test_moving_a_sensor_to_another_camera_ends_its_event(client, wire):
    configure(client, type="reed_switch", gpio=22)
    wire.high(22)
    [event] = wire.sensor_events()
    configure(client, type="reed_switch", gpio=22, camera="porch")
    assert not wire.appliance.events.get(event.id).in_progress
    [new] = wire.sensor_events(camera="porch")
    assert new.in_progress, "the door is still open: the porch camera records it"


def test_disabling_ends_the_event_and_releases_the_pin(client, wire):
    configure(client, type="reed_switch", gpio=22)
    wire.high(22)
    assert client.post("/sensor/disable").status_code == 200
    [event] = wire.sensor_events()
    assert not event.in_progress
    status = wire.status()
    assert not status["armed"] and not status["triggered"] and not status["enabled"]
    wire.low(22)
    wire.high(22)
    assert len(wire.sensor_events()) == 1
    assert client.post("/sensor/enable").status_code == 200
    assert wire.status()["triggered"], "enabled again with the door open"


def test_stopping_the_appliance_ends_open_sensor_events(client, wire, appliance):
    configure(client, type="reed_switch", gpio=22)
    wire.high(22)
    appliance.sensors.stop()
    [event] = wire.sensor_events()
    assert not event.in_progress


def test_every_state_change_is_an_sse_message(client, wire):
    configure(client, type="reed_switch", gpio=22, hold_seconds=1)
    before = len(wire.appliance.bus.recent(SENSOR_STATE))
    wire.high(22)
    wire.wait(0.1)
    wire.low(22)
    wire.wait(1.1)
    messages = [e.data for e in wire.appliance.bus.recent(SENSOR_STATE)][before:]
    assert [(m["triggered"], m["recording_from_sensor"]) for m in messages] == [
        (True, True),
        (False, True),
        (False, False),
    ]
    assert all(m["id"] == "sensor1" for m in messages)


def test_gpiozero_callbacks_never_wait_for_the_event_store(client, wire, appliance):
    configure(client, type="reed_switch", gpio=22, calibration={"bounce_ms": 0})
    recorder_busy = threading.Event()
    appliance.events.on_open(lambda event: recorder_busy.wait(2))
    started = time.perf_counter()
    wire.pins.pin(22).drive_high()  # what gpiozero's edge thread does on a Pi
    wire.pins.pin(22).drive_low()
    wire.pins.pin(22).drive_high()
    elapsed = time.perf_counter() - started
    recorder_busy.set()
    wire.settle()
    assert elapsed < 0.1, f"an edge callback blocked for {elapsed:.3f} s"
    assert len(wire.sensor_events()) == 1
