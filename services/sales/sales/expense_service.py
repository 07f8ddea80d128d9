"""Use cases of sales expenses: a rep records what they spent; their manager approves or rejects it."""
from __future__ import annotations

from sqlalchemy import select

from crm_shared.auth import Identity
from crm_shared.envelope import utc_now
from crm_shared.errors import APIError, NotFound
from crm_shared.versioning import check_version, stale_write_refused
from sales.db_targets import sales_expenses
from sales.expenses import Expense
from sales.permissions import readable_customer, readable_opportunity
from sales.target_repository import ExpenseQuery
from sales.targets import TargetRuleViolation
from sales.team_scope import TeamScope
from sales.uow import SalesUnitOfWork, UowFactory


def _invalid(field_name: str, message: str) -> APIError:
    return APIError(422, "validation_failed", f"Some fields are not valid. {field_name}: {message}",
                    {field_name: [message]})


def record_expense(uow_factory: UowFactory, fields: dict, actor: Identity) -> Expense:
    """The actor's own expense, optionally for a customer (or a deal) they may see; it waits for approval."""
    now = utc_now()
    with uow_factory() as uow:
        customer_id, opportunity_id = fields.get("customer_id"), fields.get("opportunity_id")
        if opportunity_id:
            opportunity, customer = readable_opportunity(uow, opportunity_id, actor, now)
            if customer_id and customer_id != customer.id:
                raise _invalid("opportunity_id", "This opportunity belongs to another customer.")
            customer_id = customer.id
        elif customer_id:
            readable_customer(uow, customer_id, actor, now)
        try:
            expense = Expense.record(actor.user_id, fields["spent_on"], fields["category"], fields["amount"],
                                     fields["currency"], customer_id, opportunity_id, fields.get("note"),
                                     actor.user_id, now)
        except ValueError as error:
            raise APIError(422, "validation_failed", f"Some fields are not valid. {error}") from error
        uow.expenses.add(expense)
        uow.commit()
        return expense


def _visible_expense(uow: SalesUnitOfWork, expense_id: str, scope: TeamScope) -> Expense:
    condition = scope.people(sales_expenses.c.rep_id)
    query = select(sales_expenses.c.id).where(sales_expenses.c.id == expense_id)
    if condition is not None:
        query = query.where(condition)
    expense = uow.expenses.get(expense_id) if uow.session.execute(query).first() else None
    if expense is None:
        raise NotFound("expense", expense_id)
    return expense


def get_expense(uow_factory: UowFactory, expense_id: str, viewer: Identity) -> Expense:
    with uow_factory() as uow:
        return _visible_expense(uow, expense_id, TeamScope.of(uow, viewer))


def decide_expense(uow_factory: UowFactory, expense_id: str, verb: str, note: str | None, expected_version: int,
                   approver: Identity) -> Expense:
    """Approve or reject a submitted expense of one of the approver's teams' members (admins: anyone's)."""
    with stale_write_refused("expense"), uow_factory() as uow:
        scope = TeamScope.of(uow, approver)
        expense = _visible_expense(uow, expense_id, scope)
        if expense.rep_id != approver.user_id:
            may_decide = uow.session.execute(
                select(sales_expenses.c.id).where(sales_expenses.c.id == expense_id,
                                                  scope.managed_people(sales_expenses.c.rep_id))).first()
            if may_decide is None:
                raise TargetRuleViolation("not_your_rep", "Only a manager of the rep's team or an admin decides "
                                                          "this expense.")
        check_version("expense", expected_version, expense.version)
        expense.decide(verb, approver.user_id, note, utc_now())
        uow.commit()
        return expense


def list_expenses(uow_factory: UowFactory, viewer: Identity, filters: dict) -> tuple[list[Expense], list[dict]]:
    """The expenses the viewer may see, newest first, and the totals of all that match by status and currency."""
    with uow_factory() as uow:
        query = ExpenseQuery(visible=TeamScope.of(uow, viewer).people(sales_expenses.c.rep_id), **filters)
        return uow.expenses.list(query), uow.expenses.totals(query)
