"""HTTP API: one blueprint per area of ``appliance-api.md``; a new area adds its module here."""

from __future__ import annotations

from flask import Flask

from securitycam.api import (
    accounts,
    auth,
    bluetooth,
    dashboard,
    events,
    frigate,
    history,
    logs,
    media,
    profiles,
    recording,
    sensors,
    settings,
    setup,
    stats,
    storage,
    system,
    timelapse,
    wifi,
)

# One per line, so that parts added in parallel merge without conflicts.
BLUEPRINTS = [
    auth.bp,
    accounts.bp,
    settings.bp,
    events.bp,
    system.bp,
    logs.bp,
    sensors.bp,
    bluetooth.bp,
    recording.bp,
    media.bp,
    storage.bp,
    profiles.bp,
    stats.bp,
    timelapse.bp,
    setup.bp,
    wifi.bp,
    history.bp,
    dashboard.bp,
    *frigate.BLUEPRINTS,
]


def register_blueprints(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
