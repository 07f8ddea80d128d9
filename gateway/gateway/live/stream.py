"""GET /api/v1/live: the server-sent-events stream of the events the viewer may see.

Each open stream holds one thread of the web process for as long as the browser stays, so the
gateway runs under gunicorn's threaded worker:

    gunicorn --no-control-socket -w 2 --worker-class gthread --threads 32 --graceful-timeout 5 \\
        -b 127.0.0.1:8000 'gateway:create_app()'

and a process accepts at most CRM_LIVE_MAX_CLIENTS (default 24) streams, keeping threads free for
ordinary API calls; a refused stream gets 503 and the browser retries with backoff.
"""
from __future__ import annotations

import json
import time
from typing import Iterator

import jwt
from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from crm_shared.auth import Identity, current_identity
from gateway.live.broadcaster import Broadcaster, Subscription
from gateway.live.store import LiveEvent

blp = Blueprint("live", __name__, url_prefix="/api/v1/live", description="Live events (server-sent events)")

RETRY_MILLISECONDS = 3000


def format_event(event: LiveEvent) -> str:
    """One SSE message; the body is single-line JSON, so one `data:` line carries it."""
    return f"id: {event.event_id}\nevent: {event.name}\ndata: {event.body}\n\n"


def _token_expiry() -> float:
    # The token was verified before the view ran; only its expiry is read here, so a stream
    # ends when its token does and the browser has to log in again to reconnect.
    authorization = request.headers.get("Authorization", "")
    claims = jwt.decode(authorization.partition(" ")[2].strip(), options={"verify_signature": False})
    return float(claims.get("exp", time.time()))


def _events(
    broadcaster: Broadcaster,
    subscription: Subscription,
    backlog: list[LiveEvent],
    keepalive_seconds: float,
    expires_at: float,
) -> Iterator[str]:
    try:
        yield f"retry: {RETRY_MILLISECONDS}\n: connected\n\n"
        for event in backlog:
            yield format_event(event)
        next_keepalive = time.monotonic() + keepalive_seconds
        while not subscription.closed and time.time() < expires_at:
            wait = min(next_keepalive - time.monotonic(), expires_at - time.time())
            event = subscription.next(timeout=wait)
            if event is not None:
                yield format_event(event)
            elif time.monotonic() >= next_keepalive:
                yield ": keepalive\n\n"
                next_keepalive = time.monotonic() + keepalive_seconds
    finally:
        broadcaster.unsubscribe(subscription)


@blp.route("")
class LiveStream(MethodView):
    @blp.doc(
        responses={
            "200": {
                "description": "A text/event-stream: `id` is the event id, `event` its name, `data` the envelope JSON. "
                "Send `Last-Event-ID` to resume; a `: keepalive` comment comes every 15 seconds.",
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            }
        }
    )
    def get(self):
        """Stream the live events you may see."""
        viewer: Identity = current_identity()
        broadcaster: Broadcaster = current_app.extensions["crm.live"]
        settings = current_app.extensions["crm.gateway_settings"]
        subscription, backlog = broadcaster.subscribe(viewer, request.headers.get("Last-Event-ID"))
        response = Response(
            _events(broadcaster, subscription, backlog, settings.live_keepalive_seconds, _token_expiry()),
            mimetype="text/event-stream",
        )
        response.headers["Cache-Control"] = "no-cache, no-store"
        response.headers["X-Accel-Buffering"] = "no"
        # A stream closed before its first chunk never runs the generator's `finally`.
        response.call_on_close(lambda: broadcaster.unsubscribe(subscription))
        return response
