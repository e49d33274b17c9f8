"""SharedAnswers, the one cache of the routes that run a command: one question in flight per key,
its answer reused for its max age, a failure never remembered."""

from __future__ import annotations

import threading

import pytest

from securitycam.answers import SharedAnswers
from securitycam.clock import ManualClock


def test_callers_arriving_while_a_question_is_asked_wait_for_its_answer() -> None:
    answers = SharedAnswers(ManualClock())
    asked = threading.Event()
    release = threading.Event()
    calls: list[int] = []

    def slow() -> int:
        calls.append(1)
        asked.set()
        release.wait(10)
        return len(calls)

    got: list[int] = []
    first = threading.Thread(target=lambda: got.append(answers.get("q", slow, 5)))
    first.start()
    assert asked.wait(10)
    others = [threading.Thread(target=lambda: got.append(answers.get("q", slow, 5))) for _ in range(8)]
    for thread in others:
        thread.start()
    release.set()
    for thread in [first, *others]:
        thread.join(10)
    assert got == [1] * 9 and len(calls) == 1


def test_an_answer_is_reused_until_it_is_max_age_old_and_keys_are_apart() -> None:
    clock = ManualClock()
    answers = SharedAnswers(clock)
    count = iter(range(100))
    assert answers.get("a", lambda: next(count), 3) == 0
    assert answers.get("b", lambda: next(count), 3) == 1
    clock.advance(2.9)
    assert answers.get("a", lambda: next(count), 3) == 0
    clock.advance(0.1)
    assert answers.get("a", lambda: next(count), 3) == 2


def test_a_failure_is_not_remembered() -> None:
    answers = SharedAnswers(ManualClock())

    def broken() -> int:
        raise OSError("no such device")

    with pytest.raises(OSError):
        answers.get("q", broken, 60)
    assert answers.get("q", lambda: 7, 60) == 7
