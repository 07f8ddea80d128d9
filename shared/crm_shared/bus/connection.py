"""Opening a bus connection from a URL: RabbitMQ (`amqp://`) or the embedded bus (`crmfs:///path`)."""
from __future__ import annotations

from kombu import Connection

EMBEDDED_SCHEME = "crmfs://"


def is_embedded(url: str) -> bool:
    return url.startswith(EMBEDDED_SCHEME)


def connect(url: str) -> Connection:
    """A kombu connection; for RabbitMQ with publisher confirms and heartbeats."""
    if is_embedded(url):
        from crm_shared.bus.embedded import connection_for

        return connection_for(url[len(EMBEDDED_SCHEME) :])
    return Connection(
        url,
        heartbeat=30,
        connect_timeout=5,
        transport_options={"confirm_publish": True},
    )
