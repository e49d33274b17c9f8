"""The recorder tells the storage janitor about every clip and snapshot it finishes."""

from __future__ import annotations

from pathlib import Path

from securitycam.bus import ARCHIVE_UPDATED
from tests.recorder.conftest import Live, wait_for


def test_a_finished_clip_is_indexed_with_its_sidecars_and_event(live: Live):
    events = live.appliance.events
    event = events.open("cam", "api", "index-test")
    events.end(event.id)
    paths = wait_for(lambda: [e.data["path"] for e in live.appliance.bus.recent(ARCHIVE_UPDATED)
                              if e.data.get("event_id") == event.id], timeout=20)
    clip = Path(paths[0])  # type: ignore[index]

    item = live.appliance.janitor.media.get(clip)

    assert item is not None and item.kind == "clips" and item.event_id == event.id
    sidecars = [clip.with_name(clip.stem + suffix) for suffix in (".thumb.jpg", ".sprite.jpg", ".meta.json")]
    assert item.size == sum(path.stat().st_size for path in [clip, *sidecars] if path.exists())
    assert item.size > clip.stat().st_size


def test_a_snapshot_is_indexed(live: Live):
    path = Path(live.client.post("/snapshot").json["path"])
    item = live.appliance.janitor.media.get(path)
    assert item is not None and item.kind == "snapshots" and item.size == path.stat().st_size
