"""Zones: bottom-centre inside for ``inertia`` frames, ``loitering_time``, per-zone labels."""

from __future__ import annotations

from securitycam.config.detection import ZoneSettings
from securitycam.detection.zones import ZonePresence, Zones

SQUARE = "100,100,200,100,200,200,100,200"


def zones(**zone: object) -> Zones:
    return Zones({"porch": ZoneSettings(coordinates=SQUARE, **zone)}, 640, 360)


def test_inside_for_inertia_frames_before_it_counts_and_out_at_once() -> None:
    porch, presence = zones(inertia=3), ZonePresence()
    assert porch.update(presence, "person", (150, 150), 0.0) == []
    assert porch.update(presence, "person", (150, 150), 0.2) == []
    assert porch.update(presence, "person", (150, 150), 0.4) == ["porch"]
    assert presence.current == ["porch"] and presence.entered == ["porch"]
    assert porch.update(presence, "person", (150, 150), 0.6) == []  # entered once, not every frame
    porch.update(presence, "person", (300, 150), 0.8)
    assert presence.current == [] and presence.entered == ["porch"]


def test_a_flicker_across_the_edge_does_not_enter() -> None:
    porch, presence = zones(inertia=2), ZonePresence()
    for t, x in enumerate([150, 250, 150, 250, 150]):
        porch.update(presence, "person", (x, 150), t / 5)
    assert presence.entered == []


def test_loitering_time_and_labels() -> None:
    porch, presence = zones(inertia=1, loitering_time=2), ZonePresence()
    entered = [porch.update(presence, "person", (150, 150), t / 2) for t in range(6)]
    assert entered == [[], [], [], [], ["porch"], []]
    cars_only, other = zones(inertia=1, objects=["car"]), ZonePresence()
    assert cars_only.update(other, "person", (150, 150), 0) == []
    assert cars_only.update(other, "car", (150, 150), 0) == ["porch"]


def test_fraction_coordinates() -> None:
    whole = Zones({"all": ZoneSettings(coordinates="0,0,1,0,1,1,0,1", inertia=1)}, 640, 360)
    assert whole.update(ZonePresence(), "person", (600, 350), 0) == ["all"]
