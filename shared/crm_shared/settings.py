"""Settings common to every process, read from the environment once."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

DEFAULT_EXCHANGE = "crm.events"


def env_name(service: str) -> str:
    """The prefix of a service's own variables: `service-desk` -> `CRM_SERVICE_DESK`."""
    return "CRM_" + service.upper().replace("-", "_")


def embedded_bus_url(data_dir: Path) -> str:
    return f"crmfs://{(data_dir / 'bus').resolve()}"


def embedded_database_url(data_dir: Path, service: str) -> str:
    return f"sqlite:///{(data_dir / (service.replace('-', '_') + '.db')).resolve()}"


@dataclass(frozen=True)
class Settings:
    """What a service process needs to know about its surroundings."""

    service: str
    data_dir: Path
    database_url: str
    bus_url: str
    exchange: str
    queue_prefix: str
    jwt_key_dir: Path
    jwt_issuer: str
    jwt_audience: str
    demo: bool
    relay_poll_seconds: float
    handler_attempts: int

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.exchange}.dead-letter"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.queue_prefix}{self.exchange}.dead-letter"

    @property
    def uses_embedded_backends(self) -> bool:
        return self.bus_url.startswith("crmfs://") or self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, service: str, environ: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("CRM_DATA_DIR", "var")).resolve()
        prefix = env_name(service)
        return cls(
            service=service,
            data_dir=data_dir,
            database_url=env.get(f"{prefix}_DATABASE_URL") or embedded_database_url(data_dir, service),
            bus_url=env.get("CRM_BUS_URL") or embedded_bus_url(data_dir),
            exchange=env.get("CRM_BUS_EXCHANGE", DEFAULT_EXCHANGE),
            queue_prefix=env.get("CRM_BUS_QUEUE_PREFIX", ""),
            jwt_key_dir=Path(env.get("CRM_JWT_KEY_DIR") or data_dir / "keys").resolve(),
            jwt_issuer=env.get("CRM_JWT_ISSUER", "crm-gateway"),
            jwt_audience=env.get("CRM_JWT_AUDIENCE", "crm"),
            demo=env.get("CRM_DEMO", "0").lower() in {"1", "true", "yes"},
            relay_poll_seconds=float(env.get("CRM_RELAY_POLL_SECONDS", "0.05")),
            handler_attempts=int(env.get("CRM_HANDLER_ATTEMPTS", "3")),
        )
