"""Home Assistant MQTT discovery: the configs that make this appliance appear as one HA device.

Each entity is a retained JSON config at ``<discovery_prefix>/<component>/<node_id>/<object>/config``
(HA's documented layout). Unique ids are ``<node_id>_<object>`` so several appliances on one
broker never collide; every entity names the same ``device`` (identifiers ``[node_id]``) and the
appliance's availability topic (its last will). What an appliance has:

| component | entities |
|---|---|
| ``binary_sensor`` | per GPIO sensor (by type), ``anyone_home``, recording and motion seen per camera, health |
| ``device_tracker`` | one per tracked Bluetooth device (``home``/``not_home``) |
| ``camera`` | one per camera, from its latest-frame topic |
| ``switch`` | Frigate's detect/recordings/snapshots/motion per camera, manual recording per camera, armed |
| ``sensor`` | storage %, CPU temperature, per-label object counts per camera |
| ``button`` | snapshot per camera, restart |

A removed entity (a sensor deleted, a camera renamed) gets an empty retained config, which is how
HA is told to delete it; the publisher remembers which configs it has published for that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from securitycam import __version__
from securitycam.config.models import Settings
from securitycam.mqtt.topics import CAMERA_SWITCHES, OFF, OFFLINE, ON, ONLINE, Topics, slug

# The sensor types' Home Assistant device classes (a type not listed is a plain binary sensor).
SENSOR_DEVICE_CLASS = {
    "reed_switch": "door",
    "hall_digital": "door",
    "pir": "motion",
    "vibration": "vibration",
    "tilt": "moving",
    "button": None,
    "mock": "motion",
}


@dataclass(frozen=True)
class EntityConfig:
    component: str
    object_id: str
    config: dict[str, Any]


def entities(settings: Settings, topics: Topics, presence_devices: list[dict[str, Any]],
             device_name: str) -> list[EntityConfig]:
    """Every entity this appliance should have in Home Assistant now."""
    node = topics.node_id
    device = {
        "identifiers": [node],
        "name": device_name,
        "manufacturer": "securitycam",
        "model": "Raspberry Pi camera appliance",
        "sw_version": __version__,
    }
    common = {
        "device": device,
        "availability": [{"topic": topics.available, "payload_available": ONLINE,
                          "payload_not_available": OFFLINE}],
        "origin": {"name": "securitycam", "sw_version": __version__},
    }
    found: list[EntityConfig] = []

    def add(component: str, object_id: str, name: str | None, **config: Any) -> None:
        found.append(EntityConfig(component, object_id, {
            "name": name, "unique_id": f"{node}_{object_id}", **{k: v for k, v in config.items() if v is not None},
            **common,
        }))

    on_off = {"payload_on": ON, "payload_off": OFF}
    for sensor in settings.Sensors:
        add("binary_sensor", f"sensor_{slug(sensor.id)}", sensor.name or sensor.id,
            state_topic=topics.sensor_state(sensor.id), device_class=SENSOR_DEVICE_CLASS.get(sensor.type),
            **on_off)
    add("binary_sensor", "anyone_home", "Anyone home", state_topic=topics.anyone_home,
        device_class="presence", **on_off)
    add("binary_sensor", "health_problem", "Health", state_topic=topics.health, device_class="problem",
        value_template="{{ 'OFF' if value_json.overall == 'ok' else 'ON' }}",
        json_attributes_topic=topics.health, entity_category="diagnostic", **on_off)
    for device_info in presence_devices:
        address = device_info["address"]
        add("device_tracker", f"tracker_{slug(address)}", device_info.get("name") or address,
            state_topic=topics.presence_device(address), payload_home="home", payload_not_home="not_home",
            source_type="bluetooth_le")
    add("switch", "armed", "Armed", state_topic=topics.armed, command_topic=Topics.command(topics.armed),
        icon="mdi:shield-home", **_switch_payloads())
    for camera in settings.Cameras:
        name = camera.name
        add("camera", f"{slug(name)}_camera", name, topic=topics.latest_frame(name))
        for switch in CAMERA_SWITCHES:
            add("switch", f"{slug(name)}_{switch}", f"{name} {switch}",
                state_topic=topics.camera_switch_state(name, switch),
                command_topic=topics.camera_switch_set(name, switch), **_switch_payloads())
        add("binary_sensor", f"{slug(name)}_recording", f"{name} recording", state_topic=topics.recording(name),
            device_class="running", **on_off)
        add("binary_sensor", f"{slug(name)}_motion_seen", f"{name} motion", state_topic=topics.camera(name, "motion"),
            device_class="motion", **on_off)
        add("switch", f"{slug(name)}_manual_recording", f"{name} manual recording",
            state_topic=topics.manual_recording(name), command_topic=Topics.command(topics.manual_recording(name)),
            icon="mdi:record-rec", **_switch_payloads())
        for label in settings.MQTT.count_labels:
            add("sensor", f"{slug(name)}_{slug(label)}_count", f"{name} {label} count",
                state_topic=topics.camera(name, label), state_class="measurement", icon="mdi:counter")
        add("button", f"{slug(name)}_snapshot", f"{name} snapshot", command_topic=topics.snapshot_button(name),
            payload_press="PRESS", icon="mdi:camera")
    add("sensor", "storage", "Storage used", state_topic=topics.storage, unit_of_measurement="%",
        state_class="measurement", value_template="{{ value_json.percent }}", icon="mdi:harddisk",
        json_attributes_topic=topics.storage)
    add("sensor", "cpu_temperature", "CPU temperature", state_topic=topics.health, device_class="temperature",
        unit_of_measurement="°C", state_class="measurement", value_template="{{ value_json.cpu_temp }}",
        entity_category="diagnostic")
    add("button", "restart", "Restart", command_topic=topics.restart, payload_press="PRESS",
        device_class="restart", entity_category="config")
    return found


def _switch_payloads() -> dict[str, str]:
    return {"payload_on": ON, "payload_off": OFF, "state_on": ON, "state_off": OFF}
