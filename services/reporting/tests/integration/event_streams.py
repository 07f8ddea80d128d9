"""Seeded event streams of a whole sales organisation for reporting's tests, and ways to deliver them.

`organisation_history(seed)` makes what the other services would publish over the previous and the current
quarter: users and teams; leads created, claimed or distributed, followed up, returned, recycled, claimed
again and converted; customers from leads (some with a channel of their own) and without one, transferred
and returned to the pool; deals opened, moved, won and lost; contracts signed and voided; payment plans made
and revised; payments (some of customers reporting never hears of), invoices, refunds, expenses, targets;
tickets opened, answered, resolved, closed, rated, reopened and breached. Times fall anywhere in the two
quarters, more of them in the last days and around midnights that start a month, in the reporting zone.

`arrival_order` shuffles the events, delivers some twice, and makes sure the awkward orders happen (a
customer before its lead, a payment before its customer); `deliver` projects them through the consumer,
one at a time or in batches, as the worker does.
"""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Callable
from zoneinfo import ZoneInfo

from crm_shared.bus.consumer import EventConsumer
from crm_shared.envelope import Envelope, format_time
from crm_shared.testing import contract
from reporting.handlers import HANDLERS
from reporting.periods import midnight, named_period

CAMPAIGNS = {
    "web": ("search-ads", "newsletter", None),
    "partner": ("alliance", None),
    "referral": (None,),
    "trade_show": ("expo-autumn", "expo-summer"),
}
TICKET_CHANNELS = ("web", "email", "phone")
PRIORITIES = ("low", "normal", "high", "urgent")
STAGES = ("qualification", "needs_analysis", "proposal", "negotiation")
RETURN_REASONS = ("no_budget", "not_reachable", "wrong_contact", None)
TEAMS = {"team-east": "East", "team-west": "West"}
TEAM_EAST, TEAM_WEST = TEAMS


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    roles: tuple[str, ...]
    team_ids: tuple[str, ...]


# The admin sees everything; the East manager sees East (and owns a few customers); reps belong to one team,
# one to both; one rep moves from East to West during the stream; the agent owns nothing and sees all tickets.
ADMIN = Person("user-admin", "Ada Admin", ("admin",), ())
MANAGER = Person("user-manager-east", "Mei Manager", ("sales_manager", "sales_rep"), (TEAM_EAST,))
REPS = (
    Person("user-rep-1", "Anna", ("sales_rep",), (TEAM_EAST,)),
    Person("user-rep-2", "Bo", ("sales_rep",), (TEAM_EAST,)),
    Person("user-rep-3", "Chen", ("sales_rep",), (TEAM_EAST, TEAM_WEST)),
    Person("user-rep-4", "Dana", ("sales_rep",), (TEAM_WEST,)),
    Person("user-rep-5", "Emil", ("sales_rep",), (TEAM_WEST,)),
)
MOVER = REPS[1]  # moves from East to West: team figures follow the directory as it is now
AGENT = Person("user-agent", "Sam Agent", ("service_agent",), ())
SELLERS = (MANAGER, *REPS)


@dataclass
class History:
    """The events of one organisation, and the arrival orders a test must see happen."""

    events: list[Envelope] = field(default_factory=list)
    # (earlier, later): `earlier` must arrive before `later` (a customer before its lead, a payment before its customer)
    arrives_before: list[tuple[Envelope, Envelope]] = field(default_factory=list)
    # Published after everything else has been projected: customers changing hands after their payments.
    late: list[Envelope] = field(default_factory=list)


class _Builder:
    def __init__(self, seed: int, now: datetime, zone: ZoneInfo):
        self.chance = random.Random(seed)
        self.now = now
        self.zone = zone
        today = now.astimezone(zone).date()
        self.start = named_period("last_quarter", today, zone).start
        self.history = History()
        # Midnights in the zone that start a month (and so maybe a quarter) within the stream.
        first = self.start.astimezone(zone).date()
        self.month_starts = []
        day = first
        while midnight(day, zone) < now:
            self.month_starts.append(midnight(day, zone))
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        self.customers: list[dict] = []  # {customer_id, lead_id, owner, channel, created_at}

    # ------------------------------------------------------------ building blocks

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.chance.getrandbits(128), version=4))

    def moment(self) -> datetime:
        """A time in the two quarters: mostly anywhere, often in the last days, now and then near a month's start."""
        roll = self.chance.random()
        if roll < 0.2:
            earliest = max(self.start, self.now - timedelta(days=6))
        elif roll < 0.35:
            boundary = self.chance.choice(self.month_starts)
            return min(self.now, max(self.start, boundary + timedelta(minutes=self.chance.randint(-180, 180))))
        else:
            earliest = self.start
        span = (self.now - earliest).total_seconds()
        return earliest + timedelta(seconds=self.chance.uniform(0, span))

    def later(self, moment: datetime, days: float = 20) -> datetime:
        """A time after `moment`, not after now unless `moment` is (then a minute after it)."""
        step = timedelta(seconds=self.chance.uniform(60, days * 86400))
        if moment + step <= self.now:
            return moment + step
        room = (self.now - moment).total_seconds()
        return moment + timedelta(seconds=self.chance.uniform(1, room)) if room > 2 else moment + timedelta(minutes=1)

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def amount(self, low: int, high: int) -> Decimal:
        return Decimal(self.chance.randrange(low, high)) + Decimal(self.chance.randrange(100)) / 100

    def emit(self, name: str, occurred: datetime, /, **payload) -> Envelope:
        example = contract(name).to_dict()
        example["id"] = self.new_id()
        example["occurred_at"] = format_time(occurred)
        example["payload"] = {**example["payload"], **_wire(payload)}
        envelope = Envelope.from_dict(example)
        self.history.events.append(envelope)
        return envelope

    def seller(self) -> Person:
        return self.chance.choice(SELLERS)

    # ------------------------------------------------------------ the organisation

    def directory(self) -> None:
        joined = self.start - timedelta(days=30)
        for person in (ADMIN, MANAGER, *REPS, AGENT):
            self.emit("gateway.user.registered.v1", joined, user_id=person.user_id, username=person.user_id,
                      display_name=person.name, roles=list(person.roles), team_ids=list(person.team_ids),
                      teams=[{"id": team, "name": TEAMS[team]} for team in person.team_ids], active=True,
                      changed_at=joined)
        moved = self.moment()
        self.emit("gateway.user.changed.v1", moved, user_id=MOVER.user_id, username=MOVER.user_id,
                  display_name=MOVER.name, roles=list(MOVER.roles), team_ids=[TEAM_WEST],
                  teams=[{"id": TEAM_WEST, "name": TEAMS[TEAM_WEST]}], active=True, changed_at=moved)

    def lead(self) -> None:
        chance = self.chance
        channel = chance.choice(sorted(CAMPAIGNS))
        lead = {"lead_id": self.new_id(), "channel": channel, "campaign": chance.choice(CAMPAIGNS[channel]),
                "company": f"Company {chance.randrange(10**6)}", "region": chance.choice(("East", "North")),
                "industry": chance.choice(("retail", "manufacturing"))}
        pool = chance.choice(("pool-public", "pool-partners"))
        created = self.moment()
        created_event = self.emit("leads.lead.created.v1", created, **lead, status="pool", pool_id=pool,
                                  created_at=created)
        at, owner = created, None
        for _ in range(chance.choice((0, 1, 1, 1, 2))):
            owner = self.seller()
            at = self.later(at, 10)
            if chance.random() < 0.8:
                self.emit("leads.lead.claimed.v1", at, **lead, owner_id=owner.user_id, pool_id=pool,
                          customer_id=None, claimed_at=at)
            else:
                self.emit("leads.lead.distributed.v1", at, lead_id=lead["lead_id"], channel=channel,
                          owner_id=owner.user_id, pool_id=pool, customer_id=None, distributed_by=ADMIN.user_id,
                          distributed_at=at)
            for _ in range(chance.choice((0, 1, 1, 2))):
                at = self.later(at, 6)
                self.emit("leads.follow_up.logged.v1", at, follow_up_id=self.new_id(), lead_id=lead["lead_id"],
                          owner_id=owner.user_id, kind=chance.choice(("call", "email", "visit")), logged_at=at)
            if chance.random() < 0.3:
                at = self.later(at, 15)
                kind = chance.choice(("returned", "recycled"))
                pool = "pool-public"
                self.emit(f"leads.lead.{kind}.v1", at, lead_id=lead["lead_id"], pool_id=pool, channel=channel,
                          previous_owner_id=owner.user_id, reason=chance.choice(RETURN_REASONS),
                          rule="no_follow_up_days" if kind == "recycled" else None, **{f"{kind}_at": at})
                owner = None
        if owner is None and chance.random() < 0.08:  # a duplicate lead merged into another: it stops counting as open
            self.emit("leads.lead.merged.v1", self.later(at, 10), lead_id=self.new_id(), merged_lead_id=lead["lead_id"],
                      merged_by=ADMIN.user_id, owner_id=None, merged_lead_owner_id=None, merged_lead_pool_id=pool,
                      channel=channel, merged_at=self.later(at, 10))
            return
        if owner is not None and chance.random() < 0.55:
            at = self.later(at, 20)
            self.emit("leads.lead.converted.v1", at, **lead, owner_id=owner.user_id, converted_at=at,
                      opportunity=None)
            own_channel = chance.choice((None, None, None, channel, "referral", "partner"))
            customer = self.customer(owner, own_channel, lead["lead_id"], self.later(at, 0.01))
            if chance.random() < 0.3:
                self.history.arrives_before.append((customer["created_event"], created_event))
            if chance.random() < 0.7:  # the deal the conversion opened
                self.deal(customer, lead_id=lead["lead_id"], opened=customer["created_at"])
            elif chance.random() < 0.3:  # a deal known only by its lead
                self.deal(None, lead_id=lead["lead_id"], opened=self.later(at, 5))

    def customer(self, owner: Person | None, channel: str | None, lead_id: str | None, created: datetime) -> dict:
        customer = {"customer_id": self.new_id(), "lead_id": lead_id, "channel": channel, "created_at": created,
                    "owner": owner, "payments": []}
        customer["created_event"] = self.emit(
            "sales.customer.created.v1", created, customer_id=customer["customer_id"], lead_id=lead_id,
            name=f"Customer {self.chance.randrange(10**6)}", owner_id=owner.user_id if owner else None,
            channel=channel, created_at=created)
        self.customers.append(customer)
        return customer

    def updated(self, customer: dict) -> None:
        """The customer's level changes; the event repeats the customer's channel and owner."""
        at = self.later(customer["created_at"], 20)
        self.emit("sales.customer.updated.v1", at, customer_id=customer["customer_id"], lead_id=customer["lead_id"],
                  name=f"Customer {self.chance.randrange(10**6)}", owner_id=self.owner_id(customer),
                  channel=customer["channel"], level=self.chance.choice(("A", "B", "C")), region="East",
                  industry="retail", changed=["level"], updated_at=at)

    def owner_moves(self, customer: dict, at: datetime, *, late: bool = False) -> None:
        """The customer changes hands (or goes back to the public pool)."""
        previous = customer["owner"]
        if self.chance.random() < 0.2:
            event = self.emit("sales.customer.returned.v1", at, customer_id=customer["customer_id"],
                              lead_id=customer["lead_id"], channel=customer["channel"],
                              previous_owner_id=previous.user_id if previous else None, reason="no budget",
                              returned_at=at)
            customer["owner"] = None
        else:
            new = self.chance.choice([person for person in SELLERS if person is not previous])
            event = self.emit("sales.customer.owner_changed.v1", at, customer_id=customer["customer_id"],
                              lead_id=customer["lead_id"], channel=customer["channel"],
                              previous_owner_id=previous.user_id if previous else None, owner_id=new.user_id,
                              reason="transfer", changed_at=at)
            customer["owner"] = new
        if late:
            self.history.events.remove(event)
            self.history.late.append(event)

    def owner_id(self, customer: dict | None) -> str | None:
        return customer["owner"].user_id if customer and customer["owner"] else None

    def deal(self, customer: dict | None, lead_id: str | None, opened: datetime) -> None:
        chance = self.chance
        owner = (customer and customer["owner"]) or self.seller()
        deal = {"opportunity_id": self.new_id(), "customer_id": customer["customer_id"] if customer else None,
                "lead_id": lead_id, "name": f"Deal {chance.randrange(10**6)}", "owner_id": owner.user_id,
                "amount": self.amount(1000, 90000), "stage": chance.choice(STAGES[:2])}
        self.emit("sales.opportunity.opened.v1", opened, **deal,
                  expected_close_date=self.local_day(opened) + timedelta(days=60), opened_at=opened,
                  source="manual", source_ticket_id=None)
        at = opened
        for _ in range(chance.choice((0, 1, 2))):
            at = self.later(at, 15)
            deal["stage"] = chance.choice(STAGES)
            if chance.random() < 0.3:
                deal["amount"] = self.amount(1000, 90000)
            self.emit("sales.opportunity.stage_changed.v1", at, **deal, from_stage=None,
                      win_probability=chance.choice((20, 50, 80)), changed_by=owner.user_id, changed_at=at)
        if chance.random() < 0.25:  # the amount revised while open: the pipeline and a later win move with it
            at = self.later(at, 10)
            deal["amount"] = self.amount(1000, 90000)
            self.emit("sales.opportunity.updated.v1", at, **deal,
                      expected_close_date=self.local_day(at) + timedelta(days=30),
                      changed=["amount", "expected_close_date"], updated_by=owner.user_id, updated_at=at)
        outcome = chance.choice(("won", "won", "lost", None))
        if outcome is None:
            return
        at = self.later(at, 25)
        self.emit("sales.opportunity.closed.v1", at, **deal, outcome=outcome, reason=None, closed_by=owner.user_id,
                  closed_at=at)
        if outcome == "won" and customer is not None and chance.random() < 0.85:
            self.contract(customer, owner, deal["amount"], at)

    def contract(self, customer: dict, owner: Person, amount: Decimal, won: datetime) -> None:
        chance = self.chance
        ids = {"contract_id": self.new_id(), "order_id": self.new_id(), "customer_id": customer["customer_id"],
               "owner_id": owner.user_id, "amount": amount, "start_date": self.local_day(won),
               "end_date": self.local_day(won) + timedelta(days=365)}
        drafted = self.later(won, 3)
        self.emit("sales.contract.drafted.v1", drafted, **ids, status="draft", title="Licence", drafted_at=drafted)
        signed = self.later(drafted, 10)
        self.emit("sales.contract.signed.v1", signed, **ids, status="signed", previous_status="approved", at=signed,
                  signed_on=self.local_day(signed))
        if chance.random() < 0.2:  # amended: the revenue of its signing day changes
            amended = self.later(signed, 10)
            before, amount = amount, (amount * Decimal("0.8")).quantize(Decimal("0.01"))
            ids["amount"] = amount
            self.emit("sales.contract.amended.v1", amended, **ids, status="signed", amendment_id=self.new_id(),
                      amount_before=before, amount_after=amount, reason="scope reduced", refund_id=None,
                      at=amended)
        if chance.random() < 0.12:
            voided = self.later(signed, 10)
            self.emit("sales.contract.voided.v1", voided, **ids, status="voided", previous_status="signed",
                      at=voided)
            return
        installments = []
        left, number = amount, 1
        for share in (Decimal("0.3"), Decimal("0.3"), None):
            planned = (amount * share).quantize(Decimal("0.01")) if share else left
            left -= planned
            installments.append({"installment_id": self.new_id(), "number": number, "planned_amount": planned,
                                 "planned_date": self.local_day(signed) + timedelta(days=chance.randint(-20, 70))})
            number += 1
        planned_at = self.later(signed, 2)
        payer = {"contract_id": ids["contract_id"], "customer_id": customer["customer_id"]}
        self.emit("sales.payment_plan.created.v1", planned_at, **payer, owner_id=owner.user_id, amount=amount,
                  installments=installments, created_by=owner.user_id, at=planned_at)
        at = planned_at
        paid: dict[str, Decimal] = {}
        for installment in installments[:chance.choice((0, 1, 2, 3))]:
            at = self.later(at, 25)
            whole = installment["planned_amount"]
            part = whole if chance.random() < 0.6 else (whole * Decimal("0.4")).quantize(Decimal("0.01"))
            paid[installment["installment_id"]] = part
            payment = self.emit(
                "sales.payment.received.v1", at, payment_id=self.new_id(), **payer, amount=part,
                received_on=self.local_day(at), method="bank_transfer", at=at,
                installments=[{"installment_id": installment["installment_id"], "number": installment["number"],
                               "amount": part}])
            customer["payments"].append(at)
            if chance.random() < 0.25:
                self.history.arrives_before.append((payment, customer["created_event"]))
        if chance.random() < 0.3:  # revised: a part-paid one closed, an unpaid one voided, the rest planned again
            at = self.later(at, 10)
            closed = [i["installment_id"] for i in installments if i["installment_id"] in paid][:1]
            voided = [i["installment_id"] for i in installments if i["installment_id"] not in paid][:1]
            new = [{"installment_id": self.new_id(), "number": number, "planned_amount": self.amount(500, 20000),
                    "planned_date": self.local_day(at) + timedelta(days=chance.randint(-5, 60))}]
            self.emit("sales.payment_plan.revised.v1", at, **payer, owner_id=owner.user_id, amount=amount,
                      kept_installment_ids=[], closed_installment_ids=closed, voided_installment_ids=voided,
                      installments=new, revised_by=owner.user_id, at=at)
        for _ in range(chance.choice((0, 1, 1, 2))):
            self.invoice(payer, amount, signed)
        if paid and chance.random() < 0.4:
            self.refund(payer, min(paid.values()), sorted(set(i["installment_id"] for i in installments) - set(paid)),
                        at)

    def invoice(self, payer: dict, amount: Decimal, after: datetime) -> None:
        invoice = {**payer, "invoice_id": self.new_id(), "kind": "invoice",
                   "amount": (amount * Decimal("0.3")).quantize(Decimal("0.01")), "tax_rate": Decimal("13")}
        requested = self.later(after, 10)
        self.emit("sales.invoice.requested.v1", requested, **invoice, status="requested", issued_on=None,
                  at=requested)
        if self.chance.random() < 0.2:
            return
        issued = self.later(requested, 5)
        self.emit("sales.invoice.issued.v1", issued, **invoice, status="issued", issued_on=self.local_day(issued),
                  at=issued)
        if self.chance.random() < 0.15:
            reversed_at = self.later(issued, 10)
            self.emit("sales.invoice.reversed.v1", reversed_at, **invoice, status="reversed",
                      issued_on=self.local_day(issued), at=reversed_at)

    def refund(self, payer: dict, amount: Decimal, unpaid: list[str], after: datetime) -> None:
        refund = {**payer, "refund_id": self.new_id(), "amount": amount, "reason": "project cancelled",
                  "payment_id": self.new_id()}
        at = self.later(after, 5)
        self.emit("sales.refund.requested.v1", at, **refund, status="requested", voided_installment_ids=[], at=at)
        at = self.later(at, 5)
        self.emit("sales.refund.approved.v1", at, **refund, status="approved", voided_installment_ids=unpaid[:1],
                  at=at)
        if self.chance.random() < 0.8:
            at = self.later(at, 5)
            self.emit("sales.refund.completed.v1", at, **refund, status="completed", voided_installment_ids=unpaid[:1],
                      at=at)

    def stray_payment(self) -> None:
        """A payment of a customer reporting never hears of: it counts in the "all" scope only."""
        at = self.moment()
        self.emit("sales.payment.received.v1", at, payment_id=self.new_id(), contract_id=self.new_id(),
                  customer_id=self.new_id(), amount=self.amount(100, 5000), received_on=self.local_day(at),
                  method="cash", installments=[], at=at)

    def expense(self) -> None:
        chance = self.chance
        rep = self.seller()
        spent = self.moment()
        expense = {"expense_id": self.new_id(), "rep_id": rep.user_id, "category": chance.choice(("travel", "meals")),
                   "amount": self.amount(50, 3000), "spent_on": self.local_day(spent),
                   "customer_id": chance.choice(self.customers)["customer_id"] if self.customers else None,
                   "opportunity_id": None}
        at = self.later(spent, 3)
        self.emit("sales.expense.recorded.v1", at, **expense, status="submitted", actor_id=rep.user_id, at=at)
        verdict = chance.choice(("approved", "approved", "rejected", None))
        if verdict:
            at = self.later(at, 3)
            self.emit(f"sales.expense.{verdict}.v1", at, **expense, status=verdict, actor_id=MANAGER.user_id, at=at)

    def targets(self) -> None:
        today = self.local_day(self.now)
        periods = [named_period(name, today, self.zone) for name in ("this_month", "this_quarter", "last_quarter")]
        subjects = [("rep", person.user_id) for person in SELLERS] + [("team", team) for team in TEAMS]
        subjects.append(("department", "dept-sales"))
        for kind, subject in subjects:
            for period in self.chance.sample(periods, 2):
                metric = self.chance.choice(("won_amount", "payments_collected", "payments", "new_customers"))
                if metric == "new_customers":
                    value = Decimal(self.chance.randrange(2, 40))
                else:
                    value = self.amount(10000, 200000)
                at = self.start + timedelta(hours=self.chance.randrange(48))
                self.emit("sales.target.set.v1", at, target_id=self.new_id(), subject_kind=kind, subject_id=subject,
                          period=f"{period.first}", period_start=period.first, period_end=period.day_after,
                          metric=metric, value=value, previous_value=None, set_by=ADMIN.user_id, at=at)

    def customer_follow_up(self, customer: dict) -> None:
        at = self.later(customer["created_at"], 30)
        self.emit("sales.follow_up.recorded.v1", at, follow_up_id=self.new_id(), customer_id=customer["customer_id"],
                  opportunity_id=None, customer_owner_id=self.owner_id(customer),
                  author_id=self.owner_id(customer) or MANAGER.user_id, kind="visit", recorded_at=at)

    def ticket(self, customer: dict | None) -> None:
        chance = self.chance
        ticket = {"ticket_id": self.new_id(), "customer_id": customer["customer_id"] if customer else self.new_id(),
                  "customer_owner_id": self.owner_id(customer)}
        opened = self.later(customer["created_at"], 40) if customer else self.moment()
        priority = chance.choice(PRIORITIES)
        if chance.random() < 0.15:
            self.emit("service_desk.ticket.submitted.v1", opened, **ticket, subject="Help", opened_at=opened,
                      **{"channel": None, "priority": None, "status": "new"})
        else:
            self.emit("service_desk.ticket.opened.v1", opened, **ticket, channel=chance.choice(TICKET_CHANNELS),
                      subject="Help", priority=priority, status="new", opened_at=opened)
        at = opened
        if chance.random() < 0.5:
            at = self.later(at, 1)
            self.emit("service_desk.ticket.assigned.v1", at, **ticket, assignee_id=AGENT.user_id, group_id="group-1",
                      previous_assignee_id=None, previous_group_id=None, assigned_by=None, assigned_at=at)
        if chance.random() < 0.2:
            at = self.later(at, 1)
            new = chance.choice(PRIORITIES)
            self.emit("service_desk.ticket.updated.v1", at, **ticket,
                      changes={"priority": {"old": priority, "new": new}})
        for _ in range(chance.choice((0, 1, 1, 2))):
            at = self.later(at, 2)
            author = chance.choice(("agent", "agent", "customer"))
            self.emit("service_desk.ticket.replied.v1", at, **ticket, message_id=self.new_id(), author_kind=author,
                      author_id=AGENT.user_id if author == "agent" else None, replied_at=at,
                      status="open" if author == "agent" else "pending_agent")
        if chance.random() < 0.2:
            at = self.later(at, 2)
            self.emit("service_desk.ticket.sla_breached.v1", at, **ticket, metric="first_response", cycle=1,
                      breached_at=at, deadline=at, priority=priority)
        end = chance.choice(("resolved", "resolved", "closed", None))
        if end is None:
            return
        at = self.later(at, 12)
        if end == "resolved":
            self.emit("service_desk.ticket.status_changed.v1", at, **ticket, from_status="open", to_status="resolved",
                      changed_by=AGENT.user_id, changed_at=at, rule_id=None, assignee_id=AGENT.user_id,
                      group_id="group-1", priority=priority)
        else:
            self.emit("service_desk.ticket.closed.v1", at, **ticket, channel=None, status="closed",
                      resolution="fixed", closed_by=AGENT.user_id, closed_at=at)
        if chance.random() < 0.5:
            at = self.later(at, 3)
            self.emit("service_desk.ticket.rated.v1", at, **ticket, channel=None, rating=chance.randint(1, 5),
                      comment=None, by_customer=True, rated_by=None, rated_at=at, assignee_id=AGENT.user_id)
        if chance.random() < 0.15:
            at = self.later(at, 5)
            self.emit("service_desk.ticket.reopened.v1", at, **ticket, from_status=end, reason="customer_replied",
                      reopened_by=None, reopened_at=at)
            if chance.random() < 0.5:
                at = self.later(at, 5)
                self.emit("service_desk.ticket.status_changed.v1", at, **ticket, from_status="reopened",
                          to_status="resolved", changed_by=AGENT.user_id, changed_at=at, rule_id=None,
                          assignee_id=AGENT.user_id, group_id="group-1", priority=priority)


def organisation_history(seed: int, now: datetime, zone: ZoneInfo, leads: int = 110, customers: int = 25,
                         tickets: int = 70) -> History:
    """Everything a sales organisation's services publish over this quarter and the last, in the order it happened."""
    build = _Builder(seed, now, zone)
    chance = build.chance
    build.directory()
    build.targets()
    for _ in range(leads):
        build.lead()
    for _ in range(customers):  # customers that never were leads
        customer = build.customer(build.chance.choice((*SELLERS, None)), chance.choice((None, "referral", "web")),
                                  None, build.moment())
        for _ in range(chance.choice((0, 1, 2))):
            build.deal(customer, lead_id=None, opened=build.later(customer["created_at"], 20))
    for customer in list(build.customers):
        if chance.random() < 0.3:
            build.customer_follow_up(customer)
        if chance.random() < 0.1:  # a deal of this customer opened from another lead of theirs
            other_lead = build.new_id()
            build.deal(customer, lead_id=other_lead, opened=build.later(customer["created_at"], 20))
        if chance.random() < 0.2:
            build.updated(customer)
        if chance.random() < 0.15:
            build.owner_moves(customer, build.later(customer["created_at"], 30))
    for _ in range(3):
        build.stray_payment()
    for _ in range(25):
        build.expense()
    for seller in SELLERS:  # every seller's scope sees some tickets
        theirs = [customer for customer in build.customers if customer["owner"] is seller]
        for customer in chance.sample(theirs, min(2, len(theirs))):
            build.ticket(customer)
    for _ in range(tickets):
        build.ticket(chance.choice(build.customers) if chance.random() < 0.9 else None)
    # Customers with payments change hands once everything else is in: their money moves with them.
    paying = [customer for customer in build.customers if customer["payments"]]
    for customer in chance.sample(paying, max(1, len(paying) // 3)) if paying else []:
        build.owner_moves(customer, build.later(max(customer["payments"]), 5), late=True)
    build.history.events.sort(key=lambda envelope: envelope.occurred)
    return build.history


def arrival_order(history: History, seed: int, duplicates: float = 0.1) -> list[Envelope]:
    """The history shuffled, with some events delivered twice, and every `arrives_before` pair in that order."""
    chance = random.Random(seed)
    events = list(history.events)
    chance.shuffle(events)
    for earlier, later in history.arrives_before:
        events.remove(earlier)
        events.insert(events.index(later), earlier)
    for envelope in chance.sample(history.events, int(len(history.events) * duplicates)):
        events.insert(chance.randrange(len(events) + 1), envelope)
    return events


def deliver(consumer: EventConsumer, events: list[Envelope], seed: int, how: str = "mixed",
            attempts: int = 1) -> None:
    """Project `events` as the worker does: `one_by_one` (consumer.handle), `batches` (handle_many), or `mixed`.

    A batch that fails is tried again up to `attempts` times in all, as the worker retries a delivery.
    """
    chance = random.Random(seed)
    start = 0
    while start < len(events):
        size = 1 if how == "one_by_one" else chance.choice((1, 3, 25, 120) if how == "mixed" else (2, 25, 120))
        batch = events[start:start + size]
        start += size
        _retried(lambda: _handle(consumer, batch), attempts)


def _handle(consumer: EventConsumer, batch: list[Envelope]) -> None:
    if len(batch) == 1:
        consumer.handle(batch[0], HANDLERS[batch[0].name])
    else:
        consumer.handle_many([(envelope, HANDLERS[envelope.name]) for envelope in batch])


def _retried(job: Callable[[], None], attempts: int) -> None:
    for attempt in range(1, attempts + 1):
        try:
            job()
            return
        except Exception:
            if attempt == attempts:
                raise


def _wire(value):
    """Payload values as JSON carries them: times and days as ISO text, money as a string."""
    if isinstance(value, dict):
        return {key: _wire(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_wire(item) for item in value]
    if isinstance(value, datetime):
        return format_time(value.astimezone(timezone.utc))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value
