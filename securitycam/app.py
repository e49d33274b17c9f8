"""The application factory (as in Flask's tutorial): one appliance, one Flask app around it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

from securitycam.api import register_blueprints
from securitycam.api.common import install_error_handlers
from securitycam.api.guard import install_guard
from securitycam.appliance import Appliance, Hardware
from securitycam.system.logs import setup_logging


class RowId(IntegerConverter):
    """``<int:...>`` in a route: up to 18 digits, always a number SQLite holds. A longer one matches
    no route (404, as ``abc`` does), where werkzeug's own converter would pass it on for SQLite to
    refuse with an ``OverflowError``."""

    regex = r"\d{1,18}"


def create_app(
    data_dir: Path | str,
    hardware: Hardware | None = None,
    start: bool = True,
    config: dict[str, Any] | None = None,
    max_sse_clients: int = 48,
) -> Flask:
    """Build the appliance for ``data_dir`` and the Flask app that serves it.

    ``hardware`` swaps the seams (tests pass a recording runner, a sysfs root, a manual clock);
    ``start=False`` leaves background services stopped. ``app.extensions["securitycam"]`` is the
    :class:`~securitycam.appliance.Appliance`; call its ``stop()`` on shutdown.
    """
    setup_logging(Path(data_dir).resolve() / "logs")
    appliance = Appliance.build(Path(data_dir), hardware, max_sse_clients=max_sse_clients)
    app = Flask(__name__)
    # "//etc/passwd" in a file path must reach the path check (and be refused), not be redirected.
    app.url_map.merge_slashes = False
    app.url_map.converters["int"] = RowId
    app.config.update(
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=1024 * 1024,
        RESTART_DELAY=1.0,
        REBOOT_DELAY=2.0,
        SSE_HEARTBEAT=15.0,
    )
    app.config.update(config or {})
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["securitycam"] = appliance
    # Request threads are many (one per SSE client too): each borrows its database connection from
    # the bounded pool for the request and gives it back when the request ends, so connections follow
    # the requests under way, not the threads. (Registered first: the guard's checks use the database.)
    app.before_request(appliance.db.borrow)
    app.teardown_appcontext(lambda _exc: appliance.db.end_borrowing())
    install_error_handlers(app)
    install_guard(app)
    register_blueprints(app)
    if start:
        appliance.start()
    return app
