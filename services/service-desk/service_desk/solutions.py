"""Solutions: how a resolved ticket was solved, and the knowledge-base draft one can become."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from crm_shared.errors import APIError
from service_desk.kb import TITLE_MAX, Article

# The ticket statuses in which the way it was solved is known. `resolved` comes with the full ticket
# lifecycle; `closed` covers tickets closed directly.
SOLVED_STATUSES = ("resolved", "closed")
SUMMARY_MAX = 500
STEP_MAX = 2_000
STEPS_MAX = 50


class TicketNotResolved(APIError):
    def __init__(self):
        super().__init__(409, "ticket_not_resolved", "Record a solution once the ticket is resolved.")


class SolutionAlreadyPromoted(APIError):
    def __init__(self):
        super().__init__(409, "solution_already_promoted", "This solution is already a knowledge-base article.")


@dataclass(frozen=True)
class Solution:
    id: str
    ticket_id: str
    summary: str
    steps: tuple[str, ...]
    created_by: str
    created_at: datetime
    article_id: str | None = None

    @classmethod
    def record(cls, ticket_status: str, *, ticket_id: str, summary: str, steps, author: str,
               now: datetime) -> "Solution":
        """How the ticket was solved; only once it is resolved (or closed)."""
        if ticket_status not in SOLVED_STATUSES:
            raise TicketNotResolved()
        return cls(id=str(uuid.uuid4()), ticket_id=ticket_id, summary=summary.strip(),
                   steps=tuple(step.strip() for step in steps if step.strip()), created_by=author, created_at=now)

    def draft_article(self, *, category_id: str | None, visibility: str, author: str, now: datetime) -> Article:
        """A knowledge-base draft prefilled from the solution and naming it; the solution is not changed here."""
        if self.article_id is not None:
            raise SolutionAlreadyPromoted()
        title = self.summary if len(self.summary) <= TITLE_MAX else self.summary[:TITLE_MAX - 1] + "…"
        body = "\n".join(f"{number}. {step}" for number, step in enumerate(self.steps, start=1)) or self.summary
        return Article.write(title=title, body=body, tags=(), visibility=visibility, category_id=category_id,
                             author=author, now=now, source_solution_id=self.id)
