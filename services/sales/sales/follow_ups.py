"""Follow-ups of a customer (and optionally one of its opportunities): the rules, without a database."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from crm_shared.errors import APIError

KINDS = ("call", "visit", "email", "message", "meeting", "note")

CONTENT_MAX = 5000
OUTCOME_MAX = 1000
NEXT_STEP_MAX = 1000


def _invalid(field_name: str, message: str) -> APIError:
    return APIError(422, "validation_failed", f"Some fields are not valid. {field_name}: {message}",
                    {field_name: [message]})


def _optional_text(value: str | None, field_name: str, limit: int) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > limit:
        raise _invalid(field_name, f"At most {limit} characters.")
    return value.strip()


@dataclass(frozen=True)
class FollowUp:
    """A contact with a customer, recorded by its author: what kind, what was said, how it went, what comes next."""

    id: str
    customer_id: str
    author_id: str
    kind: str
    content: str
    recorded_at: datetime
    opportunity_id: str | None = None
    outcome: str | None = None
    next_step: str | None = None
    next_contact_at: datetime | None = None

    @classmethod
    def record(cls, *, customer_id: str, author_id: str, kind: str, content: str, now: datetime,
               opportunity_id: str | None = None, outcome: str | None = None, next_step: str | None = None,
               next_contact_at: datetime | None = None) -> "FollowUp":
        """A new follow-up; the next contact, when planned, lies in the future."""
        if kind not in KINDS:
            raise _invalid("kind", f"Must be one of: {', '.join(KINDS)}.")
        if not content or not content.strip():
            raise _invalid("content", "Say what the contact was about.")
        if len(content) > CONTENT_MAX:
            raise _invalid("content", f"At most {CONTENT_MAX} characters.")
        if next_contact_at is not None and next_contact_at <= now:
            raise _invalid("next_contact_at", "The next contact must be in the future.")
        return cls(
            id=str(uuid.uuid4()),
            customer_id=customer_id,
            author_id=author_id,
            kind=kind,
            content=content.strip(),
            recorded_at=now,
            opportunity_id=opportunity_id,
            outcome=_optional_text(outcome, "outcome", OUTCOME_MAX),
            next_step=_optional_text(next_step, "next_step", NEXT_STEP_MAX),
            next_contact_at=next_contact_at,
        )


def check_opportunity_of_customer(opportunity_customer_id: str | None, customer_id: str) -> None:
    """A follow-up names an opportunity of its own customer, never another customer's (or a missing one)."""
    if opportunity_customer_id != customer_id:
        raise _invalid("opportunity_id", "No opportunity of this customer has this id.")
