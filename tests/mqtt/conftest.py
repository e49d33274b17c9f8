from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from securitycam.appliance import Appliance
from tests.mqtt.broker import Broker, Listener, wait_for


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    broker = Broker(tmp_path / "broker")
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def listener(broker: Broker) -> Iterator[Listener]:
    listener = Listener(broker, ["#"])
    yield listener
    listener.close()


def connect(appliance: Appliance, broker: Broker, **extra: object) -> str:
    """Point the appliance at ``broker`` the way an owner does (``POST /settings``' code path); its node id."""
    appliance.settings.update({"MQTT": {"enabled": True, "host": "127.0.0.1", "port": broker.port, **extra}})
    mqtt = mqtt_service(appliance)
    wait_for(lambda: mqtt.connected)
    return appliance.settings.get().MQTT.node_id


def mqtt_service(appliance: Appliance):  # type: ignore[no-untyped-def]
    from securitycam.mqtt import MqttService

    return next(service for service in appliance.services if isinstance(service, MqttService))
