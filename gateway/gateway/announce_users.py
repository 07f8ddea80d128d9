"""Publish every user again: `python -m gateway.announce_users`, once, for directories of users made before they existed."""
from __future__ import annotations

from crm_shared.db import make_engine, make_session_factory
from gateway import accounts
from gateway.config import load_settings
from gateway.uow import GatewayUnitOfWork


def main() -> None:
    settings = load_settings()
    engine = make_engine(settings.common.database_url)
    try:
        session_factory = make_session_factory(engine)
        count = accounts.announce_users(lambda: GatewayUnitOfWork(session_factory))
    finally:
        engine.dispose()
    # The events wait in the outbox; the gateway worker's relay publishes them.
    print(f"Announced {count} users; the gateway worker publishes them.")


if __name__ == "__main__":
    main()
