"""Demo users for `make run` (only with CRM_DEMO=1): `python -m gateway.seed_demo`; idempotent."""
from __future__ import annotations

import logging
import sys
import uuid

from sqlalchemy.exc import IntegrityError

from crm_shared.auth import ADMIN, SALES_MANAGER, SALES_REP, SERVICE_AGENT, ensure_key_pair
from crm_shared.db import make_engine, make_session_factory
from crm_shared.errors import Conflict
from gateway import accounts
from gateway.config import GatewaySettings, load_settings
from gateway.passwords import Passwords
from gateway.uow import GatewayUnitOfWork

log = logging.getLogger(__name__)

# username, display name, roles, teams
DEMO_USERS = (
    ("admin", "Administrator", (ADMIN,), ()),
    # The manager leads East: a sales manager sees the leads of their teams' members.
    ("manager", "Morgan Manager", (SALES_MANAGER,), ("East",)),
    ("rep1", "Riley Rep", (SALES_REP,), ("East",)),
    ("rep2", "Robin Rep", (SALES_REP,), ("East",)),
    ("agent1", "Alex Agent", (SERVICE_AGENT,), ()),
)


def demo_user_id(username: str) -> str:
    """Stable ids, so a re-seeded gateway still owns the leads and customers the services remember."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"crm-demo-user:{username}"))


def seed(uow_factory, passwords: Passwords, password: str) -> list[str]:
    """Create the demo users that are missing; returns the usernames created."""
    created = []
    for username, display_name, roles, team_names in DEMO_USERS:
        if accounts.user_exists(uow_factory, username):
            continue
        try:
            accounts.create_user(
                uow_factory,
                passwords,
                username=username,
                password=password,
                display_name=display_name,
                roles=roles,
                team_names=team_names,
                user_id=demo_user_id(username),
            )
        except (Conflict, IntegrityError):
            continue  # another seeder running at the same moment made it first
        created.append(username)
    return created


def run(settings: GatewaySettings) -> list[str]:
    """Seed the demo users into the (migrated) gateway database and make sure a signing key exists."""
    ensure_key_pair(settings.common.jwt_key_dir)
    engine = make_engine(settings.common.database_url)
    try:
        session_factory = make_session_factory(engine)
        created = seed(lambda: GatewayUnitOfWork(session_factory), Passwords(), settings.demo_password)
    finally:
        engine.dispose()
    log.info("demo users: created %s", ", ".join(created) or "none (all present)")
    return created


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = load_settings()
    if not settings.demo:
        sys.exit("Refusing to create demo users with known passwords: set CRM_DEMO=1 for a demo installation.")
    run(settings)


if __name__ == "__main__":
    main()
