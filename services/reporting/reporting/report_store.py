"""Saved reports and boards: who may see them (owner, people and teams it is shared with, admins) and who may change them."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from crm_shared.auth import ADMIN, Identity
from crm_shared.envelope import utc_now
from crm_shared.errors import APIError
from crm_shared.versioning import VersionMismatch
from reporting.db import boards, directory, saved_reports


class NotFound(APIError):
    def __init__(self, what: str):
        super().__init__(404, "not_found", f"No {what} with that id that you may see.")


class NotYours(APIError):
    def __init__(self, what: str):
        super().__init__(403, "forbidden", f"Only the owner of this {what} or an admin may change it.")


def may_read(row: Any, identity: Identity) -> bool:
    return (
        row.owner_id == identity.user_id
        or identity.has_any(ADMIN)
        or identity.user_id in (row.shared_user_ids or [])
        or bool(set(row.shared_team_ids or []) & identity.team_ids)
    )


def may_change(row: Any, identity: Identity) -> bool:
    return row.owner_id == identity.user_id or identity.has_any(ADMIN)


class SharedThings:
    """Saved reports or boards (the same rules), in the caller's transaction."""

    def __init__(self, session: Session, table: Table, key: str, what: str):
        self.session = session
        self.table = table
        self.key = key
        self.what = what

    def get(self, thing_id: str, identity: Identity):
        row = self.session.execute(select(self.table).where(self.table.c[self.key] == thing_id)).first()
        if row is None or not may_read(row, identity):
            raise NotFound(self.what)
        return row

    def readable(self, identity: Identity) -> list:
        # Few per company (hundreds): filtering sharing lists in Python keeps JSON queries portable.
        rows = self.session.execute(select(self.table).order_by(self.table.c.name, self.table.c[self.key])).all()
        return [row for row in rows if may_read(row, identity)]

    def add(self, identity: Identity, values: dict[str, Any]) -> str:
        thing_id = str(uuid.uuid4())
        now = utc_now()
        self.session.execute(
            self.table.insert().values(
                {self.key: thing_id, "owner_id": identity.user_id, "created_at": now, "updated_at": now, "version": 1, **values}
            )
        )
        return thing_id

    def change(self, thing_id: str, identity: Identity, expected_version: int, values: dict[str, Any]) -> None:
        row = self.get(thing_id, identity)
        if not may_change(row, identity):
            raise NotYours(self.what)
        changed = self.session.execute(
            update(self.table)
            .where(self.table.c[self.key] == thing_id, self.table.c.version == expected_version)
            .values(**values, updated_at=utc_now(), version=self.table.c.version + 1)
        )
        if changed.rowcount != 1:
            raise VersionMismatch(self.what, row.version)

    def remove(self, thing_id: str, identity: Identity, expected_version: int) -> None:
        row = self.get(thing_id, identity)
        if not may_change(row, identity):
            raise NotYours(self.what)
        removed = self.session.execute(
            delete(self.table).where(self.table.c[self.key] == thing_id, self.table.c.version == expected_version)
        )
        if removed.rowcount != 1:
            raise VersionMismatch(self.what, row.version)


def reports(session: Session) -> SharedThings:
    return SharedThings(session, saved_reports, "report_id", "report")


def board_store(session: Session) -> SharedThings:
    return SharedThings(session, boards, "board_id", "board")


def display_names(session: Session, user_ids: set[str]) -> dict[str, str]:
    if not user_ids:
        return {}
    rows = session.execute(
        select(directory.users.c.user_id, directory.users.c.display_name).where(directory.users.c.user_id.in_(sorted(user_ids)))
    )
    return dict(rows.all())
