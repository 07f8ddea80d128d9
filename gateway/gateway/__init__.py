"""The gateway: logins and users, routing to the services, composed views, live events and the web app.

Run it under gunicorn's threaded worker, since every open live stream holds a thread:
    gunicorn --no-control-socket -w 2 --worker-class gthread --threads 32 -b 127.0.0.1:8000 'gateway:create_app()'
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from flask import Flask, request
from sqlalchemy import Engine, create_engine, text

from crm_shared import context, errors
from crm_shared.auth import TokenIssuer, TokenVerifier, ensure_key_pair
from crm_shared.db import is_sqlite, make_engine, make_session_factory
from crm_shared.settings import Settings
from crm_shared.web import CORRELATION_HEADER, ServiceApi, install_health, install_identity, install_text_guard


def _live_read_engine(engine: Engine) -> Engine:
    # The shared SQLite engine opens every transaction with BEGIN IMMEDIATE (the write lock);
    # the live poller only reads, five times a second, so it gets a plain engine: under WAL,
    # readers need no lock and never hold up the worker writing new events.
    if not is_sqlite(engine):
        return engine
    return create_engine(engine.url, connect_args={"timeout": 30, "check_same_thread": False})


def _database_answers(engine: Engine) -> bool:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return True


def create_app(settings=None) -> Flask:
    """Build the web app from GatewaySettings (or the common Settings plus the environment); nothing connects yet."""
    from gateway import frontend, openapi, proxy
    from gateway.api import auth_blp, users_blp
    from gateway.config import GatewaySettings, load_settings
    from gateway.live.broadcaster import Broadcaster
    from gateway.live.stream import blp as live_blp
    from gateway.overview import blp as overview_blp
    from gateway.passwords import Passwords
    from gateway.uow import GatewayUnitOfWork
    from gateway.upstream import Upstream

    if settings is None:
        settings = load_settings()
    elif isinstance(settings, Settings):
        settings = GatewaySettings.from_settings(settings)
    common = settings.common
    if settings.demo:
        ensure_key_pair(common.jwt_key_dir)
    engine = make_engine(common.database_url)
    session_factory = make_session_factory(engine)
    upstream = Upstream(settings.service_urls, settings.connect_timeout, settings.read_timeout)
    executor = ThreadPoolExecutor(max_workers=16, thread_name_prefix="gateway-calls")

    app = Flask(__name__, static_folder=None)
    app.config.update(
        API_TITLE="CRM gateway",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        # The gateway serves the merged document itself (gateway.openapi), not flask-smorest's own.
        OPENAPI_URL_PREFIX=None,
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
    )
    app.extensions.update(
        {
            "crm.settings": common,
            "crm.gateway_settings": settings,
            "crm.engine": engine,
            "crm.uow_factory": lambda: GatewayUnitOfWork(session_factory),
            "crm.passwords": Passwords(),
            "crm.token_issuer": TokenIssuer(
                common.jwt_key_dir, common.jwt_issuer, common.jwt_audience, settings.token_ttl_seconds
            ),
            "crm.upstream": upstream,
            "crm.executor": executor,
            "crm.live": Broadcaster(
                _live_read_engine(engine), settings.live_poll_seconds, settings.live_max_clients
            ),
        }
    )
    api = ServiceApi(app)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    api.spec.options["security"] = [{"bearer": []}]
    for blueprint in (auth_blp, users_blp, overview_blp, live_blp):
        api.register_blueprint(blueprint)
    proxy.install(app)
    merged = openapi.MergedDocument(
        openapi.builder(api.spec.to_dict, upstream, executor), max_age=settings.openapi_cache_seconds
    )
    app.extensions["crm.openapi"] = merged
    openapi.install(app, merged)
    frontend.install(app, settings.web_app_dir)
    errors.register(app)
    # Its own endpoints (login, users, teams) store text too; a proxied request meets the same guard at its service.
    install_text_guard(app)
    install_identity(app, TokenVerifier(common.jwt_key_dir, common.jwt_issuer, common.jwt_audience))
    install_health(app, lambda: _database_answers(engine))

    @app.after_request
    def tell_correlation_id(response):
        response.headers[CORRELATION_HEADER] = (
            context.current().correlation_id or request.headers.get(CORRELATION_HEADER) or context.new_correlation_id()
        )
        return response

    return app
