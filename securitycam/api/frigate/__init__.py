"""Frigate's HTTP API under ``/api`` (``frigate-http-api.md``, ``frigate-api-reference.md``,
``frigate-integration-guide-es.md``): one blueprint per area, over the same services as the
appliance's own routes. Frigate clients (Home Assistant's integration, Frigate's own tools) work
against it unmodified; where the documents disagree with real Frigate, real Frigate wins.
"""

from __future__ import annotations

from securitycam.api.frigate import (
    auth,
    events,
    exports,
    management,
    media,
    notifications,
    previews,
    recordings,
    review,
    timeline,
    vod,
)

# One per line, so that areas added in parallel merge without conflicts.
BLUEPRINTS = [
    auth.bp,
    management.bp,
    events.bp,
    events.files_bp,
    media.bp,
    notifications.bp,
    recordings.bp,
    vod.bp,
    exports.bp,
    exports.files_bp,
    review.bp,
    review.files_bp,
    timeline.bp,
    previews.bp,
    previews.files_bp,
]
