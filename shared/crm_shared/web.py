"""The Flask application every service starts from: OpenAPI, error shape, identity, health checks."""
from __future__ import annotations

import logging
import re
from typing import Any, Callable, Iterable

from flask import Flask, g, jsonify, request
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import Engine, text

from crm_shared import context, errors
from crm_shared.auth import TokenVerifier, bearer_token, public
from crm_shared.settings import Settings

CORRELATION_HEADER = "X-Correlation-ID"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class ErrorSchema(Schema):
    """The one error shape (crm_shared.errors.body), as the OpenAPI document describes every error response."""

    code = fields.String(required=True, metadata={"description": "stable, machine-readable reason"})
    status = fields.Integer(required=True, metadata={"description": "the HTTP status"})
    message = fields.String(required=True, metadata={"description": "what went wrong, for a person"})
    errors = fields.Dict(required=True, metadata={"description": "per-field details"})


class ServiceApi(Api):
    """flask-smorest's Api answering errors in our one shape instead of its own, and documenting that shape."""

    ERROR_SCHEMA = ErrorSchema

    def _init_spec(self, *args, **kwargs):
        super()._init_spec(*args, **kwargs)
        self.ma_plugin.converter.add_attribute_function(_decimal_string_properties)

    def handle_http_exception(self, error):
        return errors.handle_http_exception(error)


def _decimal_string_properties(_converter, field, **_kwargs) -> dict:
    """A Decimal sent as a string ("12000.50") is documented as a string, not apispec's default number.

    Its range stays in the document as numbers (JSON Schema applies them to numbers only); apispec would
    otherwise copy the Decimal bounds, which JSON writes as strings: an invalid schema.
    """
    if not (isinstance(field, fields.Decimal) and field.as_string):
        return {}
    properties: dict = {"type": "string", "format": "decimal"}
    for validator in field.validators:
        if isinstance(validator, validate.Range):
            if validator.min is not None:
                properties["minimum"] = float(validator.min)
            if validator.max is not None:
                properties["maximum"] = float(validator.max)
    return properties


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
    install_text_guard(app)
    install_health(app, lambda: _database_answers(engine))
    return app


def _unstorable_text(value: Any) -> bool:
    """True if a string anywhere in value holds NUL or a lone surrogate: no UTF-8 text column can store them."""
    if isinstance(value, str):
        return "\x00" in value or _LONE_SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_unstorable_text(key) or _unstorable_text(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_unstorable_text(item) for item in value)
    return False


def install_text_guard(app: Flask) -> None:
    """Refuse (422) a request whose path, query or JSON body holds text the database cannot store.

    JSON may escape any code point (\\u0000, a lone \\ud800), and PostgreSQL refuses NUL and invalid
    UTF-8 in text; caught here, such input is the caller's mistake rather than a server error later.
    """

    @app.before_request
    def refuse_unstorable_text():
        parts = {"path": [request.path], "query": [value for values in request.args.lists() for value in values]}
        if request.is_json:
            parts["body"] = [request.get_json(silent=True)]
        for where, values in parts.items():
            if any(_unstorable_text(value) for value in values):
                raise errors.APIError(
                    422, "validation_failed",
                    f"The request {where} holds a NUL character or an unpaired surrogate (\\u0000, \\ud800-\\udfff), "
                    "which cannot be stored as text; remove it.",
                    {where: ["Text may not contain NUL or unpaired surrogate characters."]},
                )


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
