"""securitycam: a Raspberry Pi security camera appliance.

The package is laid out by part: ``config`` (settings models and store), ``store`` (SQLite),
``bus`` (events to SSE and MQTT), ``auth``, ``system`` (host seams, health, commands),
``api`` (Flask blueprints) and, as they land, ``sensors``, ``recorder``, ``detection``, ``bt``.
``securitycam.app.create_app`` wires them together.
"""

__version__ = "0.1.0"
