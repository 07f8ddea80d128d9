"""The Flask application every service starts from: OpenAPI, error shape, identity, health checks."""
from __future__ import annotations

import logging
from typing import Callable, Iterable

from flask import Flask, g, jsonify, request
from flask_smorest import Api, Blueprint
from sqlalchemy import Engine, text

from crm_shared import context, errors
from crm_shared.auth import TokenVerifier, bearer_token, public
from crm_shared.settings import Settings

CORRELATION_HEADER = "X-Correlation-ID"


class ServiceApi(Api):
    """flask-smorest's Api answering errors in our one shape instead of its own."""

    def handle_http_exception(self, error):
        return errors.handle_http_exception(error)


def create_service_app(
    *,
    settings: Settings,
    title: str,
    blueprints: Iterable[Blueprint],
    engine: Engine,
    extensions: dict | None = None,
) -> Flask:
    """A service's Flask app: blueprints under /api/v1, OpenAPI at /openapi.json, /health and /ready."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = Flask(settings.service)
    app.config.update(
        API_TITLE=title,
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
    )
    app.extensions["crm.settings"] = settings
    app.extensions["crm.engine"] = engine
    app.extensions.update(extensions or {})
    api = ServiceApi(app)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    api.spec.options["security"] = [{"bearer": []}]
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    errors.register(app)
    install_identity(app, TokenVerifier(settings.jwt_key_dir, settings.jwt_issuer, settings.jwt_audience))
    install_health(app, lambda: _database_answers(engine))
    return app


def install_identity(app: Flask, verifier: TokenVerifier) -> None:
    """Verify the caller's token on every request; API views are closed unless marked public."""

    @app.before_request
    def authenticate():
        g.identity = None
        token = bearer_token(request.headers.get("Authorization"))
        if token is not None:
            g.identity = verifier.verify(token)
        view = app.view_functions.get(request.endpoint) if request.endpoint else None
        is_public = view is None or getattr(view, "crm_public", False) or getattr(
            getattr(view, "view_class", None), "crm_public", False
        )
        if g.identity is None and request.path.startswith("/api/") and not is_public:
            raise errors.APIError(401, "authentication_required", "Log in to do this: no access token was sent.")
        actor = g.identity.user_id if g.identity else context.SYSTEM_ACTOR
        correlation_id = request.headers.get(CORRELATION_HEADER) or context.new_correlation_id()
        g.crm_context_token = context.enter(context.MessageContext(actor=actor, correlation_id=correlation_id))

    @app.teardown_request
    def forget_context(_error=None):
        token = g.pop("crm_context_token", None)
        if token is not None:
            context.leave(token)


def _database_answers(engine: Engine) -> bool:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return True


def install_health(app: Flask, ready_check: Callable[[], bool]) -> None:
    """/health says the process runs; /ready says it can serve (its database answers)."""

    @app.get("/health")
    @public
    def health():
        return jsonify(status="ok", service=app.name)

    @app.get("/ready")
    @public
    def ready():
        try:
            ready_check()
        except Exception as error:  # any failure means not ready; the reason helps the operator
            return errors.error_response(503, "not_ready", f"{app.name} is not ready: {error}")
        return jsonify(status="ready", service=app.name)
