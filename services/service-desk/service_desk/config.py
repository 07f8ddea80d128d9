"""Settings of the service desk, read from the environment once."""
import os
from datetime import timedelta
from functools import cache
from pathlib import Path

from crm_shared.settings import Settings

# The service's name for settings, queues and URLs; event names and the producer use `service_desk`.
SERVICE = "service-desk"
EVENT_PREFIX = "service_desk"
SERVICE_ROOT = Path(__file__).resolve().parent.parent


def load_settings() -> Settings:
    return Settings.from_env(SERVICE)


@cache
def public_request_limit() -> tuple[int, timedelta]:
    """How many public requests one client address or one email may send per window
    (`CRM_SERVICE_DESK_PUBLIC_REQUESTS`, default 5, per `CRM_SERVICE_DESK_PUBLIC_WINDOW_MINUTES`, default 10)."""
    requests = int(os.environ.get("CRM_SERVICE_DESK_PUBLIC_REQUESTS", "5"))
    minutes = int(os.environ.get("CRM_SERVICE_DESK_PUBLIC_WINDOW_MINUTES", "10"))
    if requests < 1 or minutes < 1:
        raise ValueError("CRM_SERVICE_DESK_PUBLIC_REQUESTS and _WINDOW_MINUTES must be at least 1")
    return requests, timedelta(minutes=minutes)
