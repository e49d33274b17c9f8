"""Every topic the publisher uses, in one place.

Two trees share the prefix (``securitycam`` by default):

- Frigate's, exactly as Frigate names them: ``<prefix>/events``, ``reviews``,
  ``tracked_object_update``, ``stats``, ``available``, and per camera ``<prefix>/<camera>/...``
  (``<label>`` counts, ``motion``, ``<label>/snapshot``, ``detect|recordings|snapshots|motion``
  ``/state`` and ``/set``). Their shape has no room for an appliance id: on a broker shared by
  several appliances, give cameras distinct names (or each appliance its own prefix).
- The appliance's own, under ``<prefix>/<node_id>/``: availability (the last will), sensors,
  presence, recording, storage, health, the latest frame, and their commands.

The last will is the appliance's own ``<prefix>/<node_id>/available`` (Home Assistant's
availability), since Frigate's ``<prefix>/available`` may be shared by several appliances: that
one says ``online`` on every connection and ``offline`` at a clean stop.

Home Assistant's discovery configs go under ``<discovery_prefix>/<component>/<node_id>/<object>/config``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ON, OFF = "ON", "OFF"
ONLINE, OFFLINE = "online", "offline"
# Frigate's per-camera switches, each with a retained `state` and a `set` command.
CAMERA_SWITCHES = ("detect", "recordings", "snapshots", "motion")


def slug(text: str) -> str:
    """``text`` as one topic level / object id: letters, digits, ``_`` and ``-`` only."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_").lower() or "x"


@dataclass(frozen=True)
class Topics:
    prefix: str
    node_id: str
    discovery_prefix: str

    # -- Frigate's ---------------------------------------------------------------------------------
    @property
    def events(self) -> str:
        return f"{self.prefix}/events"

    @property
    def reviews(self) -> str:
        return f"{self.prefix}/reviews"

    @property
    def tracked_object_update(self) -> str:
        return f"{self.prefix}/tracked_object_update"

    @property
    def stats(self) -> str:
        return f"{self.prefix}/stats"

    @property
    def frigate_available(self) -> str:
        return f"{self.prefix}/available"

    def camera(self, camera: str, *rest: str) -> str:
        return "/".join((self.prefix, camera, *rest))

    def camera_switch_state(self, camera: str, switch: str) -> str:
        return self.camera(camera, switch, "state")

    def camera_switch_set(self, camera: str, switch: str) -> str:
        return self.camera(camera, switch, "set")

    # -- the appliance's own -----------------------------------------------------------------------
    def own(self, *rest: str) -> str:
        return "/".join((self.prefix, self.node_id, *rest))

    @property
    def available(self) -> str:
        return self.own("available")

    def sensor_state(self, sensor_id: str) -> str:
        return self.own("sensor", sensor_id, "state")

    def sensor_armed(self, sensor_id: str) -> str:
        return self.own("sensor", sensor_id, "armed")

    @property
    def armed(self) -> str:
        return self.own("armed")

    @property
    def anyone_home(self) -> str:
        return self.own("presence", "anyone_home")

    def presence_device(self, address: str) -> str:
        return self.own("presence", slug(address))

    def recording(self, camera: str) -> str:
        return self.own(camera, "recording")

    def manual_recording(self, camera: str) -> str:
        return self.own(camera, "manual_recording")

    def latest_frame(self, camera: str) -> str:
        return self.own(camera, "latest")

    def snapshot_button(self, camera: str) -> str:
        return self.own(camera, "snapshot", "set")

    @property
    def storage(self) -> str:
        return self.own("storage")

    @property
    def health(self) -> str:
        return self.own("health")

    @property
    def restart(self) -> str:
        return self.own("restart", "set")

    @staticmethod
    def command(state_topic: str) -> str:
        return f"{state_topic}/set"

    # -- Home Assistant ----------------------------------------------------------------------------
    def discovery(self, component: str, object_id: str) -> str:
        return f"{self.discovery_prefix}/{component}/{self.node_id}/{object_id}/config"

    @property
    def ha_status(self) -> str:
        """Home Assistant's birth message: ``online`` when it (re)starts and wants every config again."""
        return f"{self.discovery_prefix}/status"

    def subscriptions(self) -> list[str]:
        # Exact patterns (not `#`): the appliance must not hear its own state messages back.
        return [
            *(f"{self.prefix}/+/{switch}/set" for switch in CAMERA_SWITCHES),
            self.own("+", "set"),
            self.own("+", "+", "set"),
            self.own("sensor", "+", "armed", "set"),
            self.ha_status,
        ]
