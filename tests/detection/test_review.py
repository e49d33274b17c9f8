"""Review items: sensor events join the objects' item, the severity rule with presence, quiet
periods, and what the detection service does with settings changes and a crash's leftovers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from securitycam.bus import REVIEWS, EventBus
from securitycam.config.detection import ReviewSettings
from securitycam.detection.review import ReviewKeeper
from securitycam.store import Database
from securitycam.store.review import ReviewStore

T0 = 1_800_000_000.0


class Home:
    def __init__(self, home: bool = False) -> None:
        self.home = home

    def anyone_home(self) -> bool:
        return self.home


@pytest.fixture
def store(tmp_path: Path) -> ReviewStore:
    db = Database(tmp_path / "db.sqlite")
    db.migrate()
    return ReviewStore(db)


def keeper(store: ReviewStore, tmp_path: Path, home: bool = False, **review: object) -> ReviewKeeper:
    settings = ReviewSettings.model_validate({"quiet_seconds": 5, **review})
    return ReviewKeeper("cam", settings, store, EventBus(), tmp_path / "review", Home(home))


def test_a_sensor_event_joins_the_item_of_the_objects_seen(store: ReviewStore, tmp_path: Path) -> None:
    review = keeper(store, tmp_path)
    review.event_started("obj1", "person", T0, picture=np.zeros((360, 640, 3), np.uint8))
    review.event_started("door1", "reed_switch", T0 + 2, sensor="front door")
    (item,) = store.list()
    assert item.data["detections"] == ["obj1", "door1"]
    assert item.data["sensors"] == ["front door"] and item.data["objects"] == ["person"]
    assert Path(item.thumb_path).exists()


def test_sensor_with_a_person_while_away_is_an_alert_even_outside_the_alert_zones(store: ReviewStore,
                                                                                   tmp_path: Path) -> None:
    # Person alerts only in the yard; this person is on the street: a detection on its own...
    rules = {"alerts": {"labels": ["person"], "required_zones": ["yard"]}}
    away = keeper(store, tmp_path, home=False, **rules)
    away.event_started("obj1", "person", T0, zones=["street"])
    assert away.current.severity == "detection"
    # ...until the door opens while nobody is home.
    away.event_started("door1", "reed_switch", T0 + 1, sensor="front door")
    assert away.current.severity == "alert"


def test_sensor_with_a_person_while_someone_is_home_stays_a_detection(store: ReviewStore, tmp_path: Path) -> None:
    home = keeper(store, tmp_path, home=True, alerts={"labels": []})
    home.event_started("obj1", "person", T0)
    home.event_started("door1", "reed_switch", T0 + 1, sensor="front door")
    assert home.current.severity == "detection"
    relaxed = keeper(store, tmp_path, home=True, alerts={"labels": []}, sensors={"only_when_away": False})
    relaxed.event_started("obj2", "person", T0 + 100)
    relaxed.event_started("door2", "reed_switch", T0 + 101, sensor="front door")
    assert relaxed.current.severity == "alert"


def test_pir_trigger_without_camera_motion_stays_a_detection(store: ReviewStore, tmp_path: Path) -> None:
    review = keeper(store, tmp_path, sensors={"alert_on_motion": True})
    review.event_started("pir1", "pir", T0, sensor="hall pir")
    assert review.current.severity == "detection"
    # With the rule's alert_on_motion, camera motion during the item makes it an alert.
    review.motion(T0 + 1)
    assert review.current.severity == "alert"
    # Never back down.
    review.event_ended("pir1", T0 + 2)
    review.tick(T0 + 8)
    (item,) = store.list()
    assert item.severity == "alert" and item.end_time == T0 + 2


def test_the_item_ends_after_a_quiet_period_and_a_new_one_follows(store: ReviewStore, tmp_path: Path) -> None:
    review = keeper(store, tmp_path)
    review.event_started("a", "person", T0)
    review.event_ended("a", T0 + 3)
    review.tick(T0 + 7)
    assert review.current is not None  # 4 s quiet of 5
    review.tick(T0 + 8)
    assert review.current is None
    review.event_started("b", "car", T0 + 20)
    first, second = sorted(store.list(), key=lambda item: item.start_time)
    assert first.end_time == T0 + 3 and second.end_time is None and second.data["objects"] == ["car"]
    messages = [m.data["type"] for m in review._bus.recent(REVIEWS)]
    assert messages == ["new", "end", "new"]


def test_an_item_stays_open_while_an_event_lives(store: ReviewStore, tmp_path: Path) -> None:
    review = keeper(store, tmp_path)
    review.event_started("a", "person", T0)
    review.tick(T0 + 600)
    assert review.current is not None


def test_marking_reviewed_and_leftovers(store: ReviewStore) -> None:
    one = store.open("cam", T0, "alert")
    two = store.open("cam", T0 + 1, "detection")
    assert store.set_reviewed([one.id]) == 1
    assert store.get(one.id).has_been_reviewed and not store.get(two.id).has_been_reviewed
    assert [i.id for i in store.list(reviewed=False)] == [two.id]
    assert store.end_open(T0 + 10) == 2
    assert store.list(in_progress=True) == []
    with pytest.raises(ValueError):
        store.open("cam", T0, "significant")
