"""System endpoints: info, stats, alerts, deploy info, updates, restart/reboot, captive portal."""

from __future__ import annotations

import logging
import threading

from flask import Blueprint, current_app, jsonify
from pydantic import BaseModel, StrictBool

from securitycam.api.common import ApiError, admin_only, appliance, parse_body
from securitycam.system.info import system_stats

log = logging.getLogger(__name__)
bp = Blueprint("system", __name__)

RESTART_COMMAND = ["systemctl", "restart", "securitycam.service"]
REBOOT_COMMAND = ["systemctl", "reboot"]
# scripts/update.sh in a unit of its own (systemd/securitycam-update.service): restarting this
# service during the update does not end it. --no-block: the answer does not wait for the update.
UPDATE_COMMAND = ["systemctl", "start", "--no-block", "securitycam-update.service"]


class CaptivePortalChange(BaseModel):
    enabled: StrictBool


def run_later(delay: float, command: list[str]) -> None:
    """Run ``command`` after ``delay`` seconds, so the HTTP answer leaves first."""
    runner = appliance().runner

    def act() -> None:
        log.warning("running %s", " ".join(command))
        result = runner.run(command, timeout=30)
        if not result.ok:
            log.error("%s failed: %s", " ".join(command), result.stderr.strip())

    timer = threading.Timer(delay, act)
    timer.daemon = True
    timer.start()


@bp.get("/system_info")
def info():  # type: ignore[no-untyped-def]
    return jsonify(appliance().system_info())


@bp.get("/system_stats")
def stats():  # type: ignore[no-untyped-def]
    a = appliance()
    return jsonify(system_stats(a.host, a.git, a.paths.root))


@bp.get("/system_alert_state")
@bp.get("/system/alert")  # the spec's summary table names /system/alert
def alert_state():  # type: ignore[no-untyped-def]
    return jsonify(appliance().health.check())


@bp.get("/deploy_info")
def deploy_info():  # type: ignore[no-untyped-def]
    return jsonify(appliance().git.deploy_info())


@bp.get("/system/update/check")
@admin_only  # it runs ``git fetch``: not for every viewer to trigger
def update_check():  # type: ignore[no-untyped-def]
    return jsonify(appliance().git.update_check())


@bp.post("/system/update")
def update():  # type: ignore[no-untyped-def]
    """Start an update (fetch, install, restart, roll back if the new version does not answer)."""
    result = appliance().runner.run(UPDATE_COMMAND, timeout=15)
    if not result.ok:
        raise ApiError(502, f"could not start the update: {result.stderr.strip()[:200] or 'systemctl failed'}")
    return jsonify(success=True, message="Update started; it restarts the appliance if there is a new version. "
                                         "Its log: /logs/script/update/"), 202


@bp.post("/system/restart")
def restart():  # type: ignore[no-untyped-def]
    run_later(current_app.config["RESTART_DELAY"], RESTART_COMMAND)
    return jsonify(message="Restarting services...")


@bp.post("/system/reboot")
def reboot():  # type: ignore[no-untyped-def]
    run_later(current_app.config["REBOOT_DELAY"], REBOOT_COMMAND)
    return jsonify(message="Rebooting...")


@bp.get("/captive-portal")
def captive_portal_status():  # type: ignore[no-untyped-def]
    return jsonify(appliance().captive_portal.status())


@bp.post("/captive-portal")
def captive_portal_set():  # type: ignore[no-untyped-def]
    body = parse_body(CaptivePortalChange)
    return jsonify(appliance().captive_portal.set_enabled(body.enabled))
