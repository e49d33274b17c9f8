"""The signal conditioning on its own: debounce and pulse counting in clock seconds."""

from __future__ import annotations

import pytest

from securitycam.sensors.base import BOUNCE_MS, Calibration
from securitycam.sensors.signal import Debouncer, PulseCounter


def test_debouncer_takes_the_first_edge_at_once_and_ignores_the_chatter():
    debouncer = Debouncer(0.05)
    assert debouncer.feed(True, 0.0) is True
    assert debouncer.feed(False, 0.01) is None
    assert debouncer.feed(True, 0.02) is None
    assert debouncer.deadline == pytest.approx(0.05)
    assert debouncer.expire(0.05) is None, "it settled where it started"
    assert debouncer.deadline is None
    assert debouncer.feed(False, 0.2) is False


def test_debouncer_settles_on_the_level_left_at_the_end_of_the_lock_out():
    debouncer = Debouncer(0.05)
    debouncer.feed(True, 0.0)
    debouncer.feed(False, 0.03)
    assert debouncer.expire(0.04) is None, "not yet due"
    assert debouncer.expire(0.05) is False
    assert debouncer.deadline == pytest.approx(0.10), "the settled change starts its own lock-out"


def test_zero_bounce_passes_every_change():
    debouncer = Debouncer(0)
    assert [debouncer.feed(level, 0.0) for level in (True, False, True)] == [True, False, True]
    assert debouncer.deadline is None


def test_pulse_counter_needs_count_pulses_inside_the_window():
    counter = PulseCounter(3, 5.0)
    assert counter.pulse(0.0) is None
    assert counter.pulse(3.0) is None
    assert counter.pulse(5.5) is None, "the first pulse has left the window"
    assert counter.pulse(6.0) is True
    assert counter.pulse(7.0) is None, "already active"
    assert counter.deadline == pytest.approx(12.0)
    assert counter.expire(11.9) is None
    assert counter.expire(12.0) is False
    assert counter.pulse(12.5) is None, "counting starts again from nothing"


def test_a_single_pulse_can_be_enough():
    assert PulseCounter(1, 1.0).pulse(0.0) is True


@pytest.mark.parametrize(
    ("item", "value", "expected"),
    [
        (BOUNCE_MS, 20, 20),
        (BOUNCE_MS, 20.0, 20),
        (Calibration("w", "W", "float", 1.0, min=0.5, max=2), 1, 1.0),
        (Calibration("b", "B", "bool", False), True, True),
    ],
)
def test_calibration_values_are_converted(item, value, expected):
    checked = item.check(value)
    assert checked == expected and type(checked) is type(expected)


@pytest.mark.parametrize("value", [-1, 1001, 2.5, "10", True, None])
def test_calibration_refuses_bad_values(value):
    with pytest.raises(ValueError):
        BOUNCE_MS.check(value)
