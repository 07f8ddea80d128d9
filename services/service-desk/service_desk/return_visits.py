"""Return visits (回访): calling the customer again after a ticket was resolved, and what came of it."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from crm_shared.errors import APIError

SCHEDULED = "scheduled"
COMPLETED = "completed"
VISIT_STATUSES = (SCHEDULED, COMPLETED)
OUTCOMES = ("reached", "unreachable", "satisfied", "unsatisfied", "follow_up_needed")
VISIT_NOTE_MAX = 2_000


class ReturnVisitCompletedAlready(APIError):
    def __init__(self):
        super().__init__(409, "return_visit_completed", "This return visit was completed already.")


@dataclass
class ReturnVisitScheduled:
    visit: "ReturnVisit"


@dataclass
class ReturnVisitCompleted:
    visit: "ReturnVisit"


@dataclass
class ReturnVisit:
    """A call back to the customer of a resolved ticket, due at a time, by one person."""

    id: str
    ticket_id: str
    ticket_number: str | None
    customer_id: str | None
    due_at: datetime
    assignee_id: str
    scheduled_by: str
    scheduled_at: datetime
    note: str | None = None
    status: str = SCHEDULED
    outcome: str | None = None
    outcome_note: str | None = None
    completed_by: str | None = None
    completed_at: datetime | None = None
    version: int = 1
    events: list = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def schedule(cls, *, ticket_id: str, ticket_number: str | None, customer_id: str | None, due_at: datetime,
                 assignee_id: str, note: str | None, scheduled_by: str, now: datetime) -> "ReturnVisit":
        if due_at.tzinfo is None:
            raise ValueError("due_at must carry a time zone")
        if note is not None and len(note) > VISIT_NOTE_MAX:
            raise ValueError(f"a note has at most {VISIT_NOTE_MAX} characters")
        visit = cls(id=str(uuid.uuid4()), ticket_id=ticket_id, ticket_number=ticket_number, customer_id=customer_id,
                    due_at=due_at, assignee_id=assignee_id, note=note, scheduled_by=scheduled_by, scheduled_at=now)
        visit.events.append(ReturnVisitScheduled(visit))
        return visit

    def complete(self, outcome: str, note: str | None, user_id: str, now: datetime) -> None:
        """Record what came of the visit; once."""
        if self.status == COMPLETED:
            raise ReturnVisitCompletedAlready()
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        if note is not None and len(note) > VISIT_NOTE_MAX:
            raise ValueError(f"a note has at most {VISIT_NOTE_MAX} characters")
        self.status, self.outcome, self.outcome_note = COMPLETED, outcome, note
        self.completed_by, self.completed_at = user_id, now
        self.events.append(ReturnVisitCompleted(self))
