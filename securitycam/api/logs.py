"""``/logs/*``: the API's and MediaMTX's parsed logs, and the raw script logs."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from securitycam.api.common import ApiError, appliance, query_int
from securitycam.system import logs

bp = Blueprint("logs", __name__, url_prefix="/logs")


def _query() -> dict[str, object]:
    limit = query_int("limit", logs.DEFAULT_LIMIT, 1)
    level = request.args.get("level") or None
    if level and level.upper() not in logs.LEVELS:
        raise ApiError(400, f"level must be one of {', '.join(logs.LEVELS)}", field="level")
    return {"limit": min(limit, logs.MAX_LIMIT), "level": level, "search": request.args.get("search") or None}


@bp.get("")  # the spec's summary table names /logs
@bp.get("/api")
def api_log():  # type: ignore[no-untyped-def]
    entries = logs.read_api_log(appliance().paths.logs, **_query())  # type: ignore[arg-type]
    return jsonify([e.to_dict() for e in entries])


@bp.get("/mediamtx")
def mediamtx_log():  # type: ignore[no-untyped-def]
    entries = logs.read_mediamtx_log(appliance().paths.logs, **_query())  # type: ignore[arg-type]
    return jsonify([e.to_dict() for e in entries])


@bp.get("/install")
@bp.get("/scripts")  # the spec's summary table names /logs/scripts
def script_logs():  # type: ignore[no-untyped-def]
    return jsonify(logs.list_script_logs(appliance().paths.logs))


@bp.get("/script/<category>/<path:name>")
def script_log(category: str, name: str):  # type: ignore[no-untyped-def]
    path = logs.script_log_path(appliance().paths.logs, category, name)
    if not path.is_file():
        raise ApiError(404, "no such log")
    return Response(logs.read_script_log(path), mimetype="text/plain")
