"""Settings of the gateway, read from the environment once: the common ones plus where the services are."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from crm_shared.settings import Settings, env_name

SERVICE = "gateway"
GATEWAY_ROOT = Path(__file__).resolve().parent.parent

# The services the gateway routes to, and the port each listens on when nothing else is said.
SERVICE_PORTS = {"leads": 8001, "sales": 8002, "service-desk": 8003, "reporting": 8004}
# Where `npm run build` in gateway/web puts the web app.
WEB_APP_DIR = GATEWAY_ROOT / "gateway" / "static" / "app"


@dataclass(frozen=True)
class GatewaySettings:
    """The common settings (`common`) and what only the gateway needs."""

    common: Settings
    service_urls: dict[str, str]
    token_ttl_seconds: int = 8 * 3600
    demo_password: str = "demo"
    connect_timeout: float = 2.0
    read_timeout: float = 30.0
    openapi_cache_seconds: float = 60.0
    live_poll_seconds: float = 0.2
    live_keepalive_seconds: float = 15.0
    live_max_clients: int = 24
    # Failed logins allowed per username, and (more) per client address, within the window; then 429 until it ends.
    login_failure_limit: int = 10
    login_failure_window_seconds: int = 15 * 60
    login_address_failure_limit: int = 100
    web_app_dir: Path = WEB_APP_DIR

    @property
    def demo(self) -> bool:
        return self.common.demo

    @classmethod
    def from_settings(cls, common: Settings, environ: Mapping[str, str] | None = None) -> "GatewaySettings":
        env = os.environ if environ is None else environ
        urls = {
            service: env.get(f"{env_name(service)}_URL", f"http://127.0.0.1:{port}").rstrip("/")
            for service, port in SERVICE_PORTS.items()
        }
        return cls(
            common=common,
            service_urls=urls,
            token_ttl_seconds=int(env.get("CRM_TOKEN_TTL_SECONDS", "28800")),
            demo_password=env.get("CRM_DEMO_PASSWORD") or "demo",
            connect_timeout=float(env.get("CRM_GATEWAY_CONNECT_TIMEOUT", "2")),
            read_timeout=float(env.get("CRM_GATEWAY_READ_TIMEOUT", "30")),
            openapi_cache_seconds=float(env.get("CRM_GATEWAY_OPENAPI_CACHE_SECONDS", "60")),
            live_poll_seconds=float(env.get("CRM_LIVE_POLL_SECONDS", "0.2")),
            live_keepalive_seconds=float(env.get("CRM_LIVE_KEEPALIVE_SECONDS", "15")),
            live_max_clients=int(env.get("CRM_LIVE_MAX_CLIENTS", "24")),
            login_failure_limit=int(env.get("CRM_LOGIN_FAILURE_LIMIT", "10")),
            login_failure_window_seconds=int(env.get("CRM_LOGIN_FAILURE_WINDOW_SECONDS", "900")),
            login_address_failure_limit=int(env.get("CRM_LOGIN_ADDRESS_FAILURE_LIMIT", "100")),
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "GatewaySettings":
        return cls.from_settings(Settings.from_env(SERVICE, environ=environ), environ)


def load_settings() -> GatewaySettings:
    return GatewaySettings.from_env()
