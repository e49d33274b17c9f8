"""HTTP API: one blueprint per area of ``appliance-api.md``; a new area adds its module here."""

from __future__ import annotations

from flask import Flask

from securitycam.api import auth, events, logs, media, recording, settings, system

BLUEPRINTS = [auth.bp, settings.bp, events.bp, system.bp, logs.bp, recording.bp, media.bp]


def register_blueprints(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
