"""Frigate's push notification endpoints (``frigate-integration-guide-es.md``, Notificaciones):
``GET /api/notifications/pubkey`` (the VAPID key, a JSON string, as Frigate answers) and ``POST
/api/notifications/register {"sub": <the browser's PushSubscription>}``, which any signed-in user
may call for themselves. Sending is :class:`securitycam.notifications.PushNotifier`'s work."""

from __future__ import annotations

from flask import Blueprint, jsonify
from pydantic import BaseModel, Field

from securitycam.api.common import ApiError, appliance, parse_body, self_service
from securitycam.api.guard import current_identity
from securitycam.notifications import SubscriptionRefused

bp = Blueprint("frigate_notifications", __name__, url_prefix="/api")


class SubscriptionKeys(BaseModel):
    p256dh: str = Field(min_length=1, max_length=200)
    auth: str = Field(min_length=1, max_length=100)


class Subscription(BaseModel):
    endpoint: str = Field(min_length=1, max_length=2000)
    keys: SubscriptionKeys
    expirationTime: float | None = None


class Registration(BaseModel):
    sub: Subscription


@bp.get("/notifications/pubkey")
def public_key():  # type: ignore[no-untyped-def]
    return jsonify(appliance().notifier.public_key)


@bp.post("/notifications/register")
@self_service
def register():  # type: ignore[no-untyped-def]
    body = parse_body(Registration)
    identity = current_identity()
    try:
        appliance().notifier.register(identity.username, body.sub.endpoint, body.sub.keys.p256dh, body.sub.keys.auth)
    except SubscriptionRefused as exc:
        raise ApiError(400, str(exc), field=str(exc).split(":")[0]) from exc
    return jsonify(success=True, message="Successfully saved token.")
