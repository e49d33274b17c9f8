"""MQTT: Frigate's topics and Home Assistant discovery, published from the appliance's bus and events.

See :mod:`securitycam.mqtt.service` for the mechanism, :mod:`securitycam.mqtt.topics` for the topic
layout and :mod:`securitycam.mqtt.discovery` for the Home Assistant entities.
"""

from securitycam.mqtt.service import MqttService

__all__ = ["MqttService"]
