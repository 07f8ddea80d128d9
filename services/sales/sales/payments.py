"""Payment plans (回款计划) and received payments (回款): installments of a contract, and the money that pays them.

An installment is pending until money arrives, partially paid, then paid; one whose date passed while money
was still due is overdue (the timed job marks it, once). A payment is matched to installments, explicitly or
oldest first, and never exceeds what is still due. Where a payment flow is configured, a payment waits for
approval: its amount is reserved on its installments meanwhile (so two pending payments cannot together
exceed what is due) and counted as paid only once approved.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sales.contracts import ACTIVE, EXPIRED, SIGNED, Contract
from sales.money_rules import MoneyRuleViolation, money

# An installment's status.
PENDING = "pending"
PARTIALLY_PAID = "partially_paid"
PAID = "paid"
OVERDUE = "overdue"
VOID = "void"
INSTALLMENT_STATUSES = (PENDING, PARTIALLY_PAID, PAID, OVERDUE, VOID)
# Money is still expected on these.
OPEN = (PENDING, PARTIALLY_PAID, OVERDUE)
# Not yet past their date: these get the reminder and may become overdue.
NOT_YET_DUE = (PENDING, PARTIALLY_PAID)

# A payment's status.
PAYMENT_PENDING_APPROVAL = "pending_approval"
RECEIVED = "received"
REJECTED = "rejected"
PAYMENT_STATUSES = (PAYMENT_PENDING_APPROVAL, RECEIVED, REJECTED)

# A plan is made for a contract in force; payments are also taken after it ended.
PLANNABLE = (SIGNED, ACTIVE)
PAYABLE = (SIGNED, ACTIVE, EXPIRED)
INSTALLMENTS_MAX = 60
METHOD_MAX = 50
REMIND_DAYS_MAX = 365
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class InstallmentInput:
    number: int
    amount: Decimal
    planned_date: date
    method: str
    remind_days_before: int = 0


@dataclass
class PaymentPlanCreated:
    contract: Contract
    installments: list["Installment"]
    created_by: str
    at: datetime


@dataclass
class PaymentPlanRevised:
    """The unpaid part was planned again: `closed` kept what was paid on them, `voided` had nothing paid."""

    contract: Contract
    kept: list["Installment"]
    closed: list["Installment"]
    voided: list["Installment"]
    added: list["Installment"]
    revised_by: str
    at: datetime


@dataclass
class InstallmentDueSoon:
    installment: "Installment"
    days_left: int
    at: datetime


@dataclass
class InstallmentOverdue:
    installment: "Installment"
    at: datetime


@dataclass
class PaymentReceived:
    payment: "Payment"
    at: datetime


@dataclass
class Installment:
    id: str
    contract_id: str
    customer_id: str
    number: int
    planned_amount: Decimal
    currency: str
    planned_date: date
    method: str
    remind_days_before: int
    # The day the reminder is due: planned_date - remind_days_before.
    remind_on: date
    status: str
    created_at: datetime
    created_by: str
    paid_amount: Decimal = ZERO
    # Held by payments waiting for approval.
    reserved_amount: Decimal = ZERO
    reminded_at: datetime | None = None
    overdue_at: datetime | None = None
    voided_at: datetime | None = None
    version: int = 1
    events: list = field(default_factory=list, compare=False, repr=False)

    @property
    def due(self) -> Decimal:
        """What may still be paid on it: planned, less paid, less what pending payments hold."""
        if self.status not in OPEN:
            return ZERO
        return self.planned_amount - self.paid_amount - self.reserved_amount

    def reserve(self, amount: Decimal) -> None:
        self._check_payable(amount)
        self.reserved_amount += amount

    def release(self, amount: Decimal) -> None:
        self.reserved_amount -= amount

    def settle_reserved(self, amount: Decimal) -> None:
        """A pending payment was approved: what it held is now paid."""
        self.reserved_amount -= amount
        self._count_paid(amount)

    def receive(self, amount: Decimal) -> None:
        self._check_payable(amount)
        self._count_paid(amount)

    def mark_overdue_if_late(self, today: date, now: datetime) -> bool:
        """Once: past its date with money still due (its last day to pay is the planned date)."""
        if self.status not in NOT_YET_DUE or self.planned_date >= today:
            return False
        self.status = OVERDUE
        self.overdue_at = now
        self.events.append(InstallmentOverdue(self, now))
        return True

    def remind_if_due(self, today: date, now: datetime) -> bool:
        """Once: `remind_days_before` days before its date, if it is not paid by then."""
        if self.status not in NOT_YET_DUE or self.reminded_at is not None or today < self.remind_on:
            return False
        if today > self.planned_date:
            return False
        self.reminded_at = now
        self.events.append(InstallmentDueSoon(self, (self.planned_date - today).days, now))
        return True

    def restatus(self) -> None:
        """After its amounts changed: paid when nothing is left, else as far as money came (overdue stays)."""
        if self.paid_amount >= self.planned_amount:
            self.status = PAID
        elif self.status != OVERDUE:
            self.status = PARTIALLY_PAID if self.paid_amount > ZERO else PENDING

    def void(self, now: datetime) -> None:
        """The deal was cancelled: nothing more is expected on it (what was paid stays recorded)."""
        if self.status in OPEN and self.reserved_amount == ZERO:
            self.status = VOID
            self.voided_at = now

    def close_at_paid(self) -> None:
        """Its unpaid rest is planned elsewhere: what was paid on it becomes its amount, and it is paid."""
        self.planned_amount = self.paid_amount
        self.status = PAID

    def _check_payable(self, amount: Decimal) -> None:
        if self.status not in OPEN:
            state = self.status.replace("_", " ")
            raise MoneyRuleViolation("installment_not_payable",
                                     f"Installment {self.number} is {state}: nothing is due on it.")
        if amount > self.due:
            raise MoneyRuleViolation(
                "allocation_exceeds_installment_due",
                f"Installment {self.number} has {money(self.due)} {self.currency} still due; "
                f"{money(amount)} cannot be paid on it.")

    def _count_paid(self, amount: Decimal) -> None:
        self.paid_amount += amount
        if self.paid_amount >= self.planned_amount:
            self.status = PAID
        elif self.status == PENDING:
            self.status = PARTIALLY_PAID


def plan_installments(contract: Contract, inputs: list[InstallmentInput], existing: list[Installment],
                      created_by: str, now: datetime) -> list[Installment]:
    """The installments of `contract`'s plan; their sum must be the contract's amount to the cent."""
    _check_plannable(contract)
    if any(installment.status != VOID for installment in existing):
        raise MoneyRuleViolation("payment_plan_exists", "This contract already has a payment plan.")
    installments = _new_installments(contract, inputs, contract.amount, "the contract's amount", created_by, now)
    installments[0].events.append(PaymentPlanCreated(contract, installments, created_by, now))
    return installments


def revise_plan(contract: Contract, inputs: list[InstallmentInput], existing: list[Installment], revised_by: str,
                now: datetime) -> list[Installment]:
    """Plan the unpaid part again; what was paid stays where it is. Returns the new installments.

    An installment paid in full is kept as it is; one partly paid is closed at what was paid on it; one with
    nothing paid is voided. The new installments cover the rest: the contract's amount less what was paid,
    so the live installments still add up to the contract's amount to the cent.
    """
    _check_plannable(contract)
    live = [i for i in existing if i.status != VOID]
    if not live:
        raise MoneyRuleViolation("no_payment_plan", "This contract has no payment plan to revise.")
    if any(i.reserved_amount != ZERO for i in live):
        raise MoneyRuleViolation("payment_pending_approval", "A payment of this contract is waiting for approval; "
                                                             "decide it before planning again.")
    kept = [i for i in live if i.paid_amount > ZERO]
    taken = {i.number for i in kept}
    if any(item.number in taken for item in inputs):
        raise ValueError(f"installment numbers {', '.join(map(str, sorted(taken)))} are taken by paid installments")
    paid = sum((i.paid_amount for i in kept), ZERO)
    rest = contract.amount - paid
    if rest == ZERO:
        raise MoneyRuleViolation("installments_must_equal_contract", "Nothing is left to plan: the contract's amount "
                                                                     "was paid in full.")
    added = _new_installments(contract, inputs, rest, "the contract's amount less what was paid", revised_by, now)
    closed = [i for i in kept if i.status != PAID]
    voided = [i for i in live if i.paid_amount == ZERO]
    for installment in closed:
        installment.close_at_paid()
    for installment in voided:
        installment.void(now)
    added[0].events.append(PaymentPlanRevised(contract, [i for i in kept if i not in closed], closed, voided, added,
                                              revised_by, now))
    return added


def amend_plan(installments: list[Installment], refunded: Decimal, amended_amount: Decimal,
               now: datetime) -> tuple[list[Installment], list[Installment], list[tuple[Installment, Decimal]]]:
    """A contract's amount was reduced to `amended_amount` and `refunded` given back: fit the plan to it.

    The money given back comes off the latest installments' payments first; then the reduction comes off
    the latest unpaid parts, an installment left with nothing planned being voided. The live installments
    then add up to the amended amount, and what was paid on them to what was kept. Returns the installments
    voided, those whose amounts changed, and where the refund came from.
    """
    live = sorted((i for i in installments if i.status != VOID), key=lambda i: (i.planned_date, i.number),
                  reverse=True)
    if not live:
        return [], [], []
    if any(i.reserved_amount != ZERO for i in live):
        raise MoneyRuleViolation("payment_pending_approval", "A payment of this contract is waiting for approval; "
                                                             "decide it before the refund.")
    taken_back, left = [], refunded
    for installment in live:
        part = min(left, installment.paid_amount)
        if part > ZERO:
            installment.paid_amount -= part
            taken_back.append((installment, part))
            left -= part
    cut = sum((i.planned_amount for i in live), ZERO) - amended_amount
    reduced = {}
    for installment in live:
        part = min(cut, installment.planned_amount - installment.paid_amount)
        if part > ZERO:
            reduced[installment.id] = part
            cut -= part
    if left != ZERO or cut != ZERO:
        raise MoneyRuleViolation("refund_leaves_overpayment", "After the refund more would be kept than the amended "
                                                              "amount.")
    voided, changed = [], []
    touched = {i.id for i, _ in taken_back} | set(reduced)
    for installment in live:
        if installment.id not in touched:
            continue
        if installment.paid_amount == ZERO and reduced.get(installment.id) == installment.planned_amount:
            # Kept at what it planned, so the record says what was given up.
            installment.status = VOID
            installment.voided_at = now
            voided.append(installment)
            continue
        installment.planned_amount -= reduced.get(installment.id, ZERO)
        installment.restatus()
        changed.append(installment)
    return voided, changed, taken_back


def _check_plannable(contract: Contract) -> None:
    if contract.status not in PLANNABLE:
        raise MoneyRuleViolation("contract_not_in_force", "A payment plan is made for a signed or active contract; "
                                                          f"this one is {contract.status.replace('_', ' ')}.")


def _new_installments(contract: Contract, inputs: list[InstallmentInput], total_wanted: Decimal, what: str,
                      created_by: str, now: datetime) -> list[Installment]:
    if not 1 <= len(inputs) <= INSTALLMENTS_MAX:
        raise ValueError(f"a plan has 1 to {INSTALLMENTS_MAX} installments")
    numbers = [item.number for item in inputs]
    if len(set(numbers)) != len(numbers) or any(n < 1 for n in numbers):
        raise ValueError("installment numbers are positive and distinct")
    for item in inputs:
        if item.amount <= ZERO or item.amount != item.amount.quantize(Decimal("0.01")):
            raise ValueError("each installment's amount is positive, with at most two decimals")
        if not item.method.strip() or len(item.method) > METHOD_MAX:
            raise ValueError(f"each installment's method has 1 to {METHOD_MAX} characters")
        if not 0 <= item.remind_days_before <= REMIND_DAYS_MAX:
            raise ValueError(f"a reminder comes 0 to {REMIND_DAYS_MAX} days before")
    total = sum((item.amount for item in inputs), ZERO)
    if total != total_wanted:
        raise MoneyRuleViolation(
            "installments_must_equal_contract",
            f"The installments add up to {money(total)} {contract.currency}; they must add up to {what}, "
            f"{money(total_wanted)} {contract.currency}.")
    return [
        Installment(
            id=str(uuid.uuid4()), contract_id=contract.id, customer_id=contract.customer_id, number=item.number,
            planned_amount=item.amount, currency=contract.currency, planned_date=item.planned_date,
            method=item.method.strip(), remind_days_before=item.remind_days_before,
            remind_on=item.planned_date - timedelta(days=item.remind_days_before), status=PENDING,
            created_at=now, created_by=created_by,
        )
        for item in sorted(inputs, key=lambda item: item.number)
    ]


def allocate(installments: list[Installment], amount: Decimal,
             explicit: list[tuple[str, Decimal]] | None) -> list[tuple[Installment, Decimal]]:
    """Match `amount` to installments: as `explicit` says, or oldest first. Never more than is still due."""
    if amount <= ZERO:
        raise ValueError("a payment's amount is positive")
    open_ones = sorted((i for i in installments if i.status in OPEN), key=lambda i: (i.planned_date, i.number))
    if not installments or all(i.status == VOID for i in installments):
        raise MoneyRuleViolation("no_payment_plan", "This contract has no payment plan to pay against.")
    total_due = sum((i.due for i in open_ones), ZERO)
    currency = installments[0].currency
    if amount > total_due:
        raise MoneyRuleViolation(
            "payment_exceeds_due",
            f"A payment can never exceed what is still due: {money(total_due)} {currency} is due on this contract, "
            f"{money(amount)} was given.")
    if explicit:
        by_id = {i.id: i for i in installments}
        if sum((part for _, part in explicit), ZERO) != amount:
            raise MoneyRuleViolation("allocation_must_equal_payment",
                                     "The amounts allocated to installments must add up to the payment's amount.")
        allocation = []
        for installment_id, part in explicit:
            installment = by_id.get(installment_id)
            if installment is None:
                raise ValueError(f"installment {installment_id} is not one of this contract's")
            if part <= ZERO:
                raise ValueError("each allocated amount is positive")
            allocation.append((installment, part))
        if len({i.id for i, _ in allocation}) != len(allocation):
            raise ValueError("each installment is allocated once")
        return allocation
    allocation, left = [], amount
    for installment in open_ones:
        part = min(left, installment.due)
        if part > ZERO:
            allocation.append((installment, part))
            left -= part
        if left == ZERO:
            break
    return allocation


@dataclass
class Payment:
    id: str
    contract_id: str
    customer_id: str
    amount: Decimal
    currency: str
    received_on: date
    method: str
    status: str
    # [{"installment_id", "number", "amount"}]: where the money goes, fixed when recorded.
    allocations: list
    recorded_by: str
    recorded_at: datetime
    reference: str | None = None
    approval_request_id: str | None = None
    decided_at: datetime | None = None
    # Set on the negative payment that records a refund's money going back.
    refund_id: str | None = None
    version: int = 1
    events: list = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def record(cls, contract: Contract, allocation: list[tuple[Installment, Decimal]], amount: Decimal,
               received_on: date, method: str, reference: str | None, recorded_by: str, now: datetime) -> "Payment":
        """A payment waiting for approval; `counted` or `approved` makes it received. Reserves its allocation."""
        if contract.status not in PAYABLE:
            raise MoneyRuleViolation("contract_not_in_force", "Payments are recorded against a signed, active or "
                                                              f"expired contract; this one is {contract.status}.")
        if not method.strip() or len(method) > METHOD_MAX:
            raise ValueError(f"a method has 1 to {METHOD_MAX} characters")
        for installment, part in allocation:
            installment.reserve(part)
        return cls(
            id=str(uuid.uuid4()), contract_id=contract.id, customer_id=contract.customer_id, amount=amount,
            currency=contract.currency, received_on=received_on, method=method.strip(),
            status=PAYMENT_PENDING_APPROVAL,
            allocations=[{"installment_id": i.id, "number": i.number, "amount": money(part)} for i, part in allocation],
            recorded_by=recorded_by, recorded_at=now, reference=reference,
        )

    def parts(self) -> list[tuple[str, Decimal]]:
        return [(part["installment_id"], Decimal(part["amount"])) for part in self.allocations]

    def approved(self, installments: dict[str, Installment], now: datetime) -> None:
        """Count it: what it reserved on its installments is paid."""
        if self.status != PAYMENT_PENDING_APPROVAL:
            return
        for installment_id, part in self.parts():
            installments[installment_id].settle_reserved(part)
        self.status = RECEIVED
        self.decided_at = now
        self.events.append(PaymentReceived(self, now))

    def refused(self, installments: dict[str, Installment], now: datetime) -> None:
        if self.status != PAYMENT_PENDING_APPROVAL:
            return
        for installment_id, part in self.parts():
            installments[installment_id].release(part)
        self.status = REJECTED
        self.decided_at = now
