"""Create an administrator: `python -m gateway.create_admin --username X` (password prompted or CRM_ADMIN_PASSWORD)."""
from __future__ import annotations

import argparse
import getpass
import os
import sys

from alembic import command

from crm_shared.auth import ADMIN, ensure_key_pair
from crm_shared.db import make_engine, make_session_factory
from crm_shared.errors import APIError
from crm_shared.migrations import alembic_config, ensure_database
from gateway import accounts
from gateway.config import GATEWAY_ROOT, load_settings
from gateway.passwords import Passwords
from gateway.uow import GatewayUnitOfWork

MINIMUM_LENGTH = 8


def read_password(environ=os.environ, prompt=getpass.getpass, interactive: bool | None = None) -> str:
    """The new password from CRM_ADMIN_PASSWORD (automation) or typed twice at a prompt."""
    password = environ.get("CRM_ADMIN_PASSWORD")
    if password is None:
        if not (sys.stdin.isatty() if interactive is None else interactive):
            raise SystemExit("No terminal to ask for a password on: set CRM_ADMIN_PASSWORD.")
        password = prompt("Password for the new administrator: ")
        if prompt("The same password again: ") != password:
            raise SystemExit("The two passwords differ; nothing was created.")
    if len(password) < MINIMUM_LENGTH:
        raise SystemExit(f"Use a password of at least {MINIMUM_LENGTH} characters; nothing was created.")
    return password


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gateway.create_admin", description=__doc__)
    parser.add_argument("--username", required=True)
    parser.add_argument("--display-name", default=None)
    args = parser.parse_args(argv)
    password = read_password()
    settings = load_settings()
    ensure_key_pair(settings.common.jwt_key_dir)
    ensure_database(settings.common.database_url)
    command.upgrade(alembic_config(GATEWAY_ROOT, settings.common.database_url), "head")
    engine = make_engine(settings.common.database_url)
    try:
        session_factory = make_session_factory(engine)
        user = accounts.create_user(
            lambda: GatewayUnitOfWork(session_factory),
            Passwords(),
            username=args.username,
            password=password,
            display_name=args.display_name or args.username,
            roles=[ADMIN],
        )
    except APIError as error:
        raise SystemExit(f"Nothing was created: {error.message}") from None
    finally:
        engine.dispose()
    print(f"Created administrator {user.username} ({user.id}).")


if __name__ == "__main__":
    main()
