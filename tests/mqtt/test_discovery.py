"""Home Assistant discovery: the configs the appliance publishes, checked against HA's MQTT rules.

The rules below are Home Assistant's published ones (MQTT discovery and each platform's schema,
https://www.home-assistant.io/integrations/mqtt/ and the entity docs): the topic layout, the
components, the keys each component requires and accepts, the valid device classes, and unique ids.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask.testing import FlaskClient

from securitycam.appliance import Appliance
from tests.mqtt.broker import Broker, Listener, wait_for
from tests.mqtt.conftest import connect

DISCOVERY_TOPIC = re.compile(r"^homeassistant/(?P<component>[^/]+)/(?P<node>[a-zA-Z0-9_-]+)/"
                             r"(?P<object>[a-zA-Z0-9_-]+)/config$")

BINARY_SENSOR_CLASSES = {
    "battery", "battery_charging", "carbon_monoxide", "cold", "connectivity", "door", "garage_door", "gas",
    "heat", "light", "lock", "moisture", "motion", "moving", "occupancy", "opening", "plug", "power",
    "presence", "problem", "running", "safety", "smoke", "sound", "tamper", "update", "vibration", "window",
}
SENSOR_CLASSES = {
    "apparent_power", "aqi", "area", "atmospheric_pressure", "battery", "carbon_dioxide", "carbon_monoxide",
    "conductivity", "current", "data_rate", "data_size", "date", "distance", "duration", "energy",
    "energy_storage", "enum", "frequency", "gas", "humidity", "illuminance", "irradiance", "moisture",
    "monetary", "nitrogen_dioxide", "nitrogen_monoxide", "nitrous_oxide", "ozone", "ph", "pm1", "pm10",
    "pm25", "power", "power_factor", "precipitation", "precipitation_intensity", "pressure",
    "reactive_power", "signal_strength", "sound_pressure", "speed", "sulphur_dioxide", "temperature",
    "timestamp", "volatile_organic_compounds", "volatile_organic_compounds_parts", "voltage", "volume",
    "volume_flow_rate", "volume_storage", "water", "weight", "wind_speed",
}
DEVICE_CLASSES = {
    "binary_sensor": BINARY_SENSOR_CLASSES,
    "sensor": SENSOR_CLASSES,
    "switch": {"outlet", "switch"},
    "button": {"identify", "restart", "update"},
}
TEMPERATURE_UNITS = {"°C", "°F", "K"}

COMMON_KEYS = {"name", "unique_id", "device", "availability", "availability_mode", "origin", "icon",
               "entity_category", "json_attributes_topic", "json_attributes_template", "qos", "enabled_by_default",
               "object_id", "default_entity_id", "encoding", "entity_picture"}
KEYS = {
    "binary_sensor": {"state_topic", "device_class", "payload_on", "payload_off", "value_template", "off_delay",
                      "expire_after", "force_update"},
    "sensor": {"state_topic", "device_class", "unit_of_measurement", "state_class", "value_template",
               "expire_after", "force_update", "suggested_display_precision", "options", "last_reset_value_template"},
    "switch": {"state_topic", "command_topic", "device_class", "payload_on", "payload_off", "state_on", "state_off",
               "value_template", "optimistic", "retain", "command_template"},
    "button": {"command_topic", "device_class", "payload_press", "retain", "command_template"},
    "camera": {"topic", "image_encoding"},
    "device_tracker": {"state_topic", "payload_home", "payload_not_home", "payload_reset", "source_type",
                       "value_template"},
}
REQUIRED = {
    "binary_sensor": {"state_topic"},
    "sensor": {"state_topic"},
    "switch": {"command_topic"},
    "button": {"command_topic"},
    "camera": {"topic"},
    "device_tracker": {"state_topic"},
}
STATE_CLASSES = {"measurement", "total", "total_increasing", "measurement_angle"}
SOURCE_TYPES = {"gps", "router", "bluetooth", "bluetooth_le"}


def check_discovery(configs: dict[str, dict[str, Any]]) -> list[str]:
    """Every way ``configs`` (topic -> payload) breaks Home Assistant's rules."""
    problems: list[str] = []
    unique_ids: dict[str, str] = {}
    for topic, config in configs.items():
        match = DISCOVERY_TOPIC.match(topic)
        if not match:
            problems.append(f"{topic}: not <prefix>/<component>/<node_id>/<object_id>/config")
            continue
        component = match["component"]
        if component not in KEYS:
            problems.append(f"{topic}: component {component} not used by the appliance")
            continue
        unknown = set(config) - KEYS[component] - COMMON_KEYS
        if unknown:
            problems.append(f"{topic}: keys HA does not know for {component}: {sorted(unknown)}")
        missing = REQUIRED[component] - set(config)
        if missing:
            problems.append(f"{topic}: missing required {sorted(missing)}")
        device_class = config.get("device_class")
        if device_class is not None and device_class not in DEVICE_CLASSES.get(component, set()):
            problems.append(f"{topic}: device_class {device_class!r} invalid for {component}")
        if "state_class" in config and (component != "sensor" or config["state_class"] not in STATE_CLASSES):
            problems.append(f"{topic}: bad state_class {config['state_class']!r}")
        if device_class == "temperature" and config.get("unit_of_measurement") not in TEMPERATURE_UNITS:
            problems.append(f"{topic}: temperature needs a temperature unit")
        if config.get("entity_category") not in (None, "config", "diagnostic"):
            problems.append(f"{topic}: entity_category {config['entity_category']!r}")
        if component == "sensor" and config.get("entity_category") == "config":
            problems.append(f"{topic}: a sensor cannot be a config entity")
        if component == "device_tracker" and config.get("source_type", "gps") not in SOURCE_TYPES:
            problems.append(f"{topic}: source_type {config['source_type']!r}")
        for key, value in config.items():
            if key.endswith("_topic") and (not isinstance(value, str) or not value or "+" in value or "#" in value):
                problems.append(f"{topic}: {key} {value!r} is not a topic one can publish to")
        # A device needs a unique id; unique ids must be unique across the whole broker.
        unique_id = config.get("unique_id")
        if not isinstance(unique_id, str) or not unique_id:
            problems.append(f"{topic}: no unique_id")
        elif unique_id in unique_ids:
            problems.append(f"{topic}: unique_id {unique_id} also used by {unique_ids[unique_id]}")
        else:
            unique_ids[unique_id] = topic
        device = config.get("device", {})
        if not device.get("identifiers") and not device.get("connections"):
            problems.append(f"{topic}: device without identifiers or connections")
        for item in config.get("availability", []):
            if not item.get("topic"):
                problems.append(f"{topic}: availability item without topic")
    return problems


def discovered(listener: Listener) -> dict[str, dict[str, Any]]:
    configs: dict[str, dict[str, Any]] = {}
    for topic, payload, _ in list(listener.messages):
        if topic.startswith("homeassistant/"):
            if payload:
                configs[topic] = json.loads(payload)
            else:
                configs.pop(topic, None)
    return configs


def test_the_checker_catches_broken_configs() -> None:
    good = {"name": "x", "unique_id": "n_x", "state_topic": "a/b", "device": {"identifiers": ["n"]}}
    assert check_discovery({"homeassistant/binary_sensor/n/x/config": good}) == []
    assert check_discovery({"homeassistant/binary_sensor/n/x/config": {**good, "device_class": "reed"}})
    assert check_discovery({"homeassistant/binary_sensor/n/x/config": {**good, "stat_topic": "a"}})
    assert check_discovery({"homeassistant/switch/n/x/config": good})  # no command_topic
    assert check_discovery({"homeassistant/binary_sensor/n/x/config": good,
                            "homeassistant/binary_sensor/n/y/config": good})  # duplicate unique id
    assert check_discovery({"homeassistant/binary_sensor/n.1/x/config": good})


def test_discovery_payloads_follow_home_assistants_rules(client: FlaskClient, appliance: Appliance,
                                                         broker: Broker, listener: Listener) -> None:
    appliance.presence.track("AA:BB:CC:DD:EE:01", "Ann's phone")
    assert client.post("/sensors", json={"id": "front", "type": "reed_switch", "gpio": 17,
                                         "name": "Front door"}).status_code in (200, 201)
    assert client.post("/sensors", json={"id": "hall", "type": "pir", "gpio": 4}).status_code in (200, 201)
    assert client.post("/sensors", json={"id": "safe", "type": "vibration", "gpio": 27}).status_code in (200, 201)
    node = connect(appliance, broker)
    wait_for(lambda: len(discovered(listener)) > 20)
    configs = discovered(listener)
    assert check_discovery(configs) == []

    by_id = {config["unique_id"]: config for config in configs.values()}
    assert by_id[f"{node}_sensor_front"]["device_class"] == "door"
    assert by_id[f"{node}_sensor_front"]["name"] == "Front door"
    assert by_id[f"{node}_sensor_hall"]["device_class"] == "motion"
    assert by_id[f"{node}_sensor_safe"]["device_class"] == "vibration"
    assert by_id[f"{node}_anyone_home"]["device_class"] == "presence"
    assert by_id[f"{node}_tracker_aa_bb_cc_dd_ee_01"]["name"] == "Ann's phone"
    assert by_id[f"{node}_cam_camera"]["topic"] == f"securitycam/{node}/cam/latest"
    assert by_id[f"{node}_cam_detect"]["command_topic"] == "securitycam/cam/detect/set"
    motion = by_id[f"{node}_cam_motion_seen"]
    assert (motion["device_class"], motion["state_topic"]) == ("motion", "securitycam/cam/motion")
    assert by_id[f"{node}_cam_person_count"]["state_topic"] == "securitycam/cam/person"
    assert by_id[f"{node}_cpu_temperature"]["device_class"] == "temperature"
    assert by_id[f"{node}_restart"]["device_class"] == "restart"
    components = {topic.split("/")[1] for topic in configs}
    assert components == {"binary_sensor", "sensor", "switch", "button", "camera", "device_tracker"}
    # One device, this appliance, whose availability is its last will.
    assert {json.dumps(c["device"], sort_keys=True) for c in configs.values()} == {
        json.dumps(configs[next(iter(configs))]["device"], sort_keys=True)}
    assert all(c["availability"][0]["topic"] == f"securitycam/{node}/available" for c in configs.values())


def test_a_removed_sensor_loses_its_entity(client: FlaskClient, appliance: Appliance, broker: Broker,
                                           listener: Listener) -> None:
    assert client.post("/sensors", json={"id": "back", "type": "reed_switch", "gpio": 17}).status_code in (200, 201)
    node = connect(appliance, broker)
    topic = f"homeassistant/binary_sensor/{node}/sensor_back/config"
    wait_for(lambda: listener.last(topic))
    assert client.delete("/sensors/back").status_code == 200
    listener.wait_last(topic, b"")
    listener.wait_last(f"securitycam/{node}/sensor/back/state", b"")
    # A newcomer (Home Assistant starting later) gets the other configs but none for the removed sensor.
    kept = f"homeassistant/binary_sensor/{node}/sensor_sensor1/config"
    newcomer = Listener(broker, [topic, kept], client_id="newcomer")
    try:
        wait_for(lambda: newcomer.on(kept))
        assert newcomer.on(topic) == []
    finally:
        newcomer.close()
    # The removal is remembered across a new session of the publisher: nothing is sent for it again.
    count, kept_count = len(listener.on(topic)), len(listener.on(kept))
    client.post("/settings", json={"MQTT": {"stats_interval": 30}})
    wait_for(lambda: len(listener.on(kept)) > kept_count)
    assert len(listener.on(topic)) == count


def test_home_assistant_coming_online_gets_every_config_and_state_once_more(
    appliance: Appliance, broker: Broker, listener: Listener
) -> None:
    node = connect(appliance, broker)
    config = f"homeassistant/binary_sensor/{node}/sensor_sensor1/config"
    state = f"securitycam/{node}/sensor/sensor1/state"
    wait_for(lambda: listener.on(config) and listener.on(state))
    assert (len(listener.on(config)), len(listener.on(state))) == (1, 1)
    listener.publish("homeassistant/status", "online")
    wait_for(lambda: len(listener.on(config)) == 2 and len(listener.on(state)) == 2)
    assert listener.on(config)[0] == listener.on(config)[1]
