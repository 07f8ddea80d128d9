"""The opportunity aggregate: a deal with one customer, from its first stage until it is won or lost."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sales.domain import Customer, SalesRuleViolation
from sales.money_rules import check_amount
from sales.pipeline import Stage, StageChange

# The first stage of the default pipeline; the stages themselves are rows of `pipeline_stages` (sales.pipeline).
QUALIFICATION = "qualification"

OPEN = "open"
WON = "won"
LOST = "lost"
STATUSES = (OPEN, WON, LOST)
OUTCOMES = (WON, LOST)

# What an edit may change; the stage, status, owner and customer have their own actions (or none).
EDITABLE_FIELDS = ("name", "amount", "currency", "expected_close_date", "competitor", "source")
SOURCES = ("conversion", "direct", "ticket", "referral", "campaign", "other")

NAME_MAX = 200
REASON_MAX = 1000

# Opportunities opened from a conversion get an id derived from the conversion, so the same conversion
# heard twice (under two event ids) opens one opportunity, while a later conversion of the lead opens another.
CONVERSION_NAMESPACE = uuid.UUID("6c4d1b0e-8f0a-4e57-9a3b-2f5d7c9e1a40")


def opportunity_id_for_conversion(lead_id: str, converted_at: datetime) -> str:
    return str(uuid.uuid5(CONVERSION_NAMESPACE, f"{lead_id}/{converted_at.isoformat()}"))


@dataclass
class OpportunityOpened:
    opportunity: "Opportunity"


@dataclass
class OpportunityClosed:
    opportunity: "Opportunity"


@dataclass
class OpportunityStageChanged:
    opportunity: "Opportunity"
    from_stage: str
    to_stage: str
    win_probability: int
    changed_by: str
    changed_at: datetime


@dataclass
class Opportunity:
    """A deal with one customer: what it is worth, when it should close, and whether it was won."""

    id: str
    customer_id: str
    name: str
    stage: str
    amount: Decimal
    currency: str
    owner_id: str
    status: str
    created_at: datetime
    created_by: str
    lead_id: str | None = None
    expected_close_date: date | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    close_reason: str | None = None
    competitor: str | None = None
    source: str | None = None
    source_ticket_id: str | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None
    version: int = 1
    events: list = field(default_factory=list, compare=False, repr=False)
    # Stage moves not yet written to the history (the unit of work writes them with the change).
    stage_changes: list = field(default_factory=list, compare=False, repr=False)
    # Read with the opportunity for display; written through their own repository.
    lines: list = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def open(
        cls,
        customer: Customer,
        *,
        name: str,
        amount: Decimal,
        currency: str,
        owner_id: str,
        created_by: str,
        now: datetime,
        expected_close_date: date | None = None,
        opportunity_id: str | None = None,
        stage: str = QUALIFICATION,
        competitor: str | None = None,
        source: str | None = None,
        source_ticket_id: str | None = None,
    ) -> "Opportunity":
        """A new open opportunity for `customer`, in the first stage of the pipeline."""
        if not name.strip() or len(name) > NAME_MAX:
            raise ValueError(f"a name has 1 to {NAME_MAX} characters and is not blank")
        _check_money(amount, currency)
        opportunity = cls(
            id=opportunity_id or str(uuid.uuid4()),
            customer_id=customer.id,
            lead_id=customer.lead_id,
            name=name,
            stage=stage,
            amount=amount,
            currency=currency,
            expected_close_date=expected_close_date,
            owner_id=owner_id,
            status=OPEN,
            created_at=now,
            created_by=created_by,
            competitor=competitor,
            source=source,
            source_ticket_id=source_ticket_id,
        )
        opportunity.stage_changes.append(StageChange(opportunity.id, None, stage, created_by, now))
        opportunity.events.append(OpportunityOpened(opportunity))
        return opportunity

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    def close(self, customer: Customer, outcome: str, user_id: str, now: datetime, reason: str | None = None,
              stage: str | None = None) -> None:
        """Won or lost, once, into the pipeline's end `stage`; a won deal is counted on the customer, which then
        stays with its owner. A lost deal needs its reason."""
        if outcome not in OUTCOMES:
            raise ValueError(f"an outcome is one of {', '.join(OUTCOMES)}, not {outcome!r}")
        self._must_be_open()
        if outcome == WON and customer.owner_id is None:
            # A customer in the public pool is nobody's: a deal is won for the rep who claims it back.
            raise SalesRuleViolation("customer_in_pool", "This customer is in the public pool: a rep must claim it "
                                                         "back before one of its deals can be won.")
        if outcome == LOST and not (reason or "").strip():
            raise SalesRuleViolation("loss_reason_required", "Say why the deal was lost: a lost opportunity needs a reason.",
                                     {"reason": ["Required when the opportunity is lost."]})
        self._record_stage(stage or outcome, user_id, now)
        self.status = outcome
        self.closed_at = now
        self.closed_by = user_id
        self.close_reason = reason
        if outcome == WON:
            customer.deal_won()
        self.events.append(OpportunityClosed(self))

    def move_to(self, stage: Stage, customer: Customer, user_id: str, now: datetime, reason: str | None = None) -> bool:
        """Move the open deal to `stage`; the won or lost stage closes it. False if it is in that stage already."""
        self._must_be_open()
        if stage.key == self.stage:
            return False
        if stage.terminal:
            self.close(customer, WON if stage.is_won else LOST, user_id, now, reason, stage=stage.key)
            return True
        previous = self.stage
        self._record_stage(stage.key, user_id, now)
        self.events.append(OpportunityStageChanged(self, previous, stage.key, stage.win_probability, user_id, now))
        return True

    def edit(self, changes: dict, user_id: str, now: datetime, has_lines: bool = False) -> None:
        """Change the deal's descriptive fields while it is open; with product lines its amount is their total."""
        self._must_be_open()
        refused = set(changes) - set(EDITABLE_FIELDS)
        if refused:
            raise ValueError(f"not editable: {', '.join(sorted(refused))}")
        if has_lines and ("amount" in changes or "currency" in changes):
            raise SalesRuleViolation("amount_from_lines", "This opportunity's amount is the total of its product "
                                     "lines: change the lines instead.", {"amount": ["Set by the product lines."]})
        name = changes.get("name", self.name)
        if not name.strip() or len(name) > NAME_MAX:
            raise ValueError(f"a name has 1 to {NAME_MAX} characters and is not blank")
        _check_money(changes.get("amount", self.amount), changes.get("currency", self.currency))
        for field_name, value in changes.items():
            setattr(self, field_name, value)
        self.touch(user_id, now)

    def lines_replaced(self, total: Decimal, currency: str | None, user_id: str, now: datetime) -> None:
        """The product lines changed: the amount is their total (and currency theirs), and the version moves on."""
        self._must_be_open()
        if currency is not None:
            _check_money(total, currency)
            self.amount, self.currency = total, currency
        self.touch(user_id, now)

    def touch(self, user_id: str, now: datetime) -> None:
        self.updated_at = now
        self.updated_by = user_id

    def _must_be_open(self) -> None:
        if not self.is_open:
            raise SalesRuleViolation("opportunity_closed", f"This opportunity is already {self.status}.")

    def _record_stage(self, to_stage: str, user_id: str, now: datetime) -> None:
        self.stage_changes.append(StageChange(self.id, self.stage, to_stage, user_id, now))
        self.stage = to_stage
        self.touch(user_id, now)


def _check_money(amount, currency: str) -> None:
    check_amount(amount)
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isascii() or not currency.isupper():
        raise ValueError(f"a currency is an ISO 4217 code such as CNY, not {currency!r}")
