"""A customer's people: its contacts (exactly one primary) and the team members who may read or edit it."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Sequence

from crm_shared.errors import APIError

READ = "read"
EDIT = "edit"
ACCESS_LEVELS = (READ, EDIT)
CONTACTS_MAX = 50


class InvalidContacts(APIError):
    """The contact list breaks a rule; 422 with the rule in the message."""

    def __init__(self, message: str):
        super().__init__(422, "validation_failed", message, {"contacts": [message]})


@dataclass(frozen=True)
class Contact:
    """A person at the customer; the primary one is who the CRM calls first."""

    id: str
    name: str
    is_primary: bool
    title: str | None = None
    phone: str | None = None
    email: str | None = None

    @classmethod
    def new(cls, name: str, is_primary: bool, title: str | None = None, phone: str | None = None,
            email: str | None = None, contact_id: str | None = None) -> "Contact":
        return cls(contact_id or str(uuid.uuid4()), name, is_primary, title, phone, email)


def checked_contacts(contacts: Sequence[Contact]) -> list[Contact]:
    """The contacts, if they follow the rules: none at all, or exactly one primary among at most CONTACTS_MAX."""
    if len(contacts) > CONTACTS_MAX:
        raise InvalidContacts(f"A customer has at most {CONTACTS_MAX} contacts.")
    primaries = sum(1 for c in contacts if c.is_primary)
    if contacts and primaries != 1:
        raise InvalidContacts(f"Exactly one contact must be the primary one; {primaries} are marked primary.")
    ids = [c.id for c in contacts]
    if len(set(ids)) != len(ids):
        raise InvalidContacts("A contact appears twice in the list.")
    return list(contacts)


def primary_of(contacts: Iterable[Contact]) -> Contact | None:
    return next((c for c in contacts if c.is_primary), None)


@dataclass(frozen=True)
class TeamMember:
    """Someone other than the owner who works on the customer: read or edit access, until `expires_at` if set."""

    customer_id: str
    user_id: str
    access: str
    added_by: str
    added_at: datetime
    expires_at: datetime | None = None

    def __post_init__(self):
        if self.access not in ACCESS_LEVELS:
            raise ValueError(f"access is one of {', '.join(ACCESS_LEVELS)}, not {self.access!r}")

    def grants(self, access: str, now: datetime) -> bool:
        """Whether this membership gives `access` at `now` (edit includes read)."""
        if self.expires_at is not None and self.expires_at <= now:
            return False
        return self.access == EDIT or access == READ
