"""The report builder's datasets: which fields a user may pick from each fact table, and how each is joined.

A dataset is one fact table (reporting/db.py) with its own fields, plus fields reached through the ids the
modules share: the record's customer (`customer.level`), the lead it came from (`lead.campaign`), its owner
(`owner.name`) and the owner's team (`team.name`). A `Query` is built per report run: it adds each join the
first time one of its fields is used, so a report over payments alone reads the payments table alone.

Records without an owner of their own (installments, payments, invoices, refunds) belong to their
customer's current owner, as in the sales service.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import ColumnElement, Table
from sqlalchemy.sql import FromClause

from reporting.db import (
    directory,
    directory_team_names,
    fact_contracts,
    fact_customers,
    fact_expenses,
    fact_follow_ups,
    fact_installments,
    fact_invoices,
    fact_leads,
    fact_opportunities,
    fact_orders,
    fact_payments,
    fact_refunds,
    fact_tickets,
)
from reporting.expressions import ResolvedField

KINDS = ("text", "number", "integer", "money", "date", "datetime", "boolean")
DATE_KINDS = frozenset({"date", "datetime"})
NUMBER_KINDS = frozenset({"number", "integer", "money"})


@dataclass(frozen=True)
class Field:
    """One pickable field: its name in definitions, a label, its kind, and the column it reads."""

    name: str
    label: str
    kind: str
    column: Callable[["Query"], ColumnElement]


@dataclass(frozen=True)
class Dataset:
    name: str
    label: str
    table: Table
    # The record's owner, for data scope and the owner/team fields.
    owner: Callable[["Query"], ColumnElement]
    # Tickets: the desk's people see every one (scopes.owned_by_scope).
    tickets: bool = False
    fields: dict[str, Field] = field(default_factory=dict)


class Query:
    """The FROM clause of one report run over a dataset, growing a join per related record used."""

    def __init__(self, dataset: Dataset):
        self.dataset = dataset
        self.base = dataset.table
        self.from_clause: FromClause = dataset.table
        self._joined: dict[str, FromClause] = {}

    def related(self, name: str) -> FromClause:
        """The aliased table of a related record, outer-joined on first use."""
        if name not in self._joined:
            self._joined[name] = JOINS[name](self)
        return self._joined[name]

    def _outer_join(self, name: str, table: Table, on: Callable[[FromClause], ColumnElement]) -> FromClause:
        alias = table.alias(name)
        self.from_clause = self.from_clause.outerjoin(alias, on(alias))
        return alias

    def owner(self) -> ColumnElement:
        return self.dataset.owner(self)

    def resolve(self, name: str) -> ResolvedField | None:
        """The expression language's resolver: a field of this dataset by name."""
        found = self.dataset.fields.get(name)
        if found is None:
            return None
        return ResolvedField(found.column(self), found.kind)


def _customer_of(query: Query) -> ColumnElement:
    return query.base.c.customer_id


def _join_customer(query: Query) -> FromClause:
    return query._outer_join("customer", fact_customers, lambda c: c.c.customer_id == _customer_of(query))


def _join_lead(query: Query) -> FromClause:
    # The lead a record came from: its own lead_id, else its customer's.
    if "lead_id" in query.base.c:
        lead_id = query.base.c.lead_id
    else:
        lead_id = query.related("customer").c.lead_id
    return query._outer_join("lead", fact_leads, lambda lead: lead.c.lead_id == lead_id)


def _join_owner(query: Query) -> FromClause:
    owner = query.owner()
    return query._outer_join("owner_user", directory.users, lambda user: user.c.user_id == owner)


def _join_team(query: Query) -> FromClause:
    # A person in two teams counts in both teams' rows (and once in a report without the team field).
    owner = query.owner()
    membership = query._outer_join("owner_team", directory.user_teams, lambda member: member.c.user_id == owner)
    return query._outer_join("team", directory_team_names, lambda team: team.c.team_id == membership.c.team_id)


JOINS: dict[str, Callable[[Query], FromClause]] = {
    "customer": _join_customer,
    "lead": _join_lead,
    "owner_user": _join_owner,
    "team": _join_team,
}


def _own(name: str) -> Callable[[Query], ColumnElement]:
    return lambda query: query.base.c[name]


def _of(related: str, name: str) -> Callable[[Query], ColumnElement]:
    return lambda query: query.related(related).c[name]


def _owned_by_column(query: Query) -> ColumnElement:
    return query.base.c.owner_id


def _owned_by_customer(query: Query) -> ColumnElement:
    return query.related("customer").c.owner_id


def _fields(*specs: tuple[str, str, str]) -> dict[str, Field]:
    return {name: Field(name, label, kind, _own(name)) for name, label, kind in specs}


def _related_fields(table: Table) -> dict[str, Field]:
    """The fields every dataset reaches through shared ids: customer, lead (campaign, channel), owner, team."""
    related: dict[str, Field] = {}
    if "customer_id" in table.c and table is not fact_customers:
        for name, label, kind in (
            ("name", "Customer", "text"),
            ("level", "Customer level", "text"),
            ("industry", "Customer industry", "text"),
            ("region", "Customer region", "text"),
            ("channel", "Customer channel", "text"),
            ("created_at", "Customer since", "datetime"),
        ):
            related[f"customer.{name}"] = Field(f"customer.{name}", label, kind, _of("customer", name))
    if table is not fact_leads and ("customer_id" in table.c or "lead_id" in table.c):
        for name, label in (("campaign", "Campaign"), ("channel", "Lead channel"), ("region", "Lead region")):
            related[f"lead.{name}"] = Field(f"lead.{name}", label, "text", _of("lead", name))
    related["owner.name"] = Field("owner.name", "Owner", "text", _of("owner_user", "display_name"))
    related["team.id"] = Field("team.id", "Team id", "text", _of("team", "team_id"))
    related["team.name"] = Field("team.name", "Team", "text", _of("team", "name"))
    return related


def _dataset(name: str, label: str, table: Table, specs, *, owner=_owned_by_column, tickets=False) -> Dataset:
    fields = {**_fields(*specs), **_related_fields(table)}
    fields.setdefault("owner_id", Field("owner_id", "Owner id", "text", owner))
    return Dataset(name, label, table, owner, tickets, fields)


DATASETS: dict[str, Dataset] = {
    dataset.name: dataset
    for dataset in (
        _dataset("leads", "Leads", fact_leads, (
            ("lead_id", "Lead id", "text"), ("company", "Company", "text"), ("channel", "Channel", "text"),
            ("campaign", "Campaign", "text"), ("region", "Region", "text"), ("industry", "Industry", "text"),
            ("status", "Status", "text"), ("pool_id", "Pool id", "text"), ("owner_id", "Owner id", "text"),
            ("created_at", "Created", "datetime"), ("claimed_at", "Claimed", "datetime"),
            ("first_follow_up_at", "First follow-up", "datetime"), ("converted_at", "Converted", "datetime"),
            ("left_at", "Returned or recycled", "datetime"), ("follow_ups", "Follow-ups", "integer"),
        )),
        _dataset("follow_ups", "Follow-ups", fact_follow_ups, (
            ("follow_up_id", "Follow-up id", "text"), ("subject", "About (lead or customer)", "text"),
            ("lead_id", "Lead id", "text"), ("customer_id", "Customer id", "text"), ("kind", "Kind", "text"),
            ("owner_id", "Owner id", "text"), ("at", "When", "datetime"),
        )),
        _dataset("customers", "Customers", fact_customers, (
            ("customer_id", "Customer id", "text"), ("name", "Customer", "text"), ("level", "Level", "text"),
            ("channel", "Channel", "text"), ("region", "Region", "text"), ("industry", "Industry", "text"),
            ("owner_id", "Owner id", "text"), ("created_at", "Created", "datetime"),
        )),
        _dataset("opportunities", "Opportunities", fact_opportunities, (
            ("opportunity_id", "Opportunity id", "text"), ("name", "Opportunity", "text"), ("stage", "Stage", "text"),
            ("status", "Status (open, won, lost)", "text"), ("amount", "Amount", "money"),
            ("win_probability", "Win probability %", "integer"), ("owner_id", "Owner id", "text"),
            ("customer_id", "Customer id", "text"), ("expected_close_date", "Expected close", "date"),
            ("opened_at", "Opened", "datetime"), ("closed_at", "Closed", "datetime"),
        )),
        _dataset("orders", "Orders", fact_orders, (
            ("order_id", "Order id", "text"), ("status", "Status", "text"), ("subtotal", "Subtotal", "money"),
            ("discount", "Discount", "money"), ("tax", "Tax", "money"), ("total", "Total", "money"),
            ("owner_id", "Owner id", "text"), ("customer_id", "Customer id", "text"),
            ("placed_at", "Placed", "datetime"), ("cancelled_at", "Cancelled", "datetime"),
        )),
        _dataset("contracts", "Contracts", fact_contracts, (
            ("contract_id", "Contract id", "text"), ("title", "Title", "text"), ("status", "Status", "text"),
            ("amount", "Amount", "money"), ("owner_id", "Owner id", "text"), ("customer_id", "Customer id", "text"),
            ("start_date", "Starts", "date"), ("end_date", "Ends", "date"),
            ("drafted_at", "Drafted", "datetime"), ("signed_at", "Signed", "datetime"),
        )),
        _dataset("installments", "Installments", fact_installments, (
            ("installment_id", "Installment id", "text"), ("contract_id", "Contract id", "text"),
            ("customer_id", "Customer id", "text"), ("number", "Number", "integer"),
            ("planned_amount", "Planned", "money"), ("paid_amount", "Paid", "money"),
            ("planned_date", "Due", "date"), ("status", "Status", "text"),
        ), owner=_owned_by_customer),
        _dataset("payments", "Payments", fact_payments, (
            ("payment_id", "Payment id", "text"), ("contract_id", "Contract id", "text"),
            ("customer_id", "Customer id", "text"), ("amount", "Amount", "money"), ("method", "Method", "text"),
            ("received_on", "Received on", "date"),
        ), owner=_owned_by_customer),
        _dataset("invoices", "Invoices", fact_invoices, (
            ("invoice_id", "Invoice id", "text"), ("contract_id", "Contract id", "text"),
            ("customer_id", "Customer id", "text"), ("kind", "Kind", "text"), ("status", "Status", "text"),
            ("amount", "Amount", "money"), ("tax_rate", "Tax rate", "number"),
            ("requested_at", "Requested", "datetime"), ("issued_on", "Issued on", "date"),
        ), owner=_owned_by_customer),
        _dataset("refunds", "Refunds", fact_refunds, (
            ("refund_id", "Refund id", "text"), ("contract_id", "Contract id", "text"),
            ("customer_id", "Customer id", "text"), ("amount", "Amount", "money"), ("reason", "Reason", "text"),
            ("status", "Status", "text"), ("requested_at", "Requested", "datetime"),
            ("completed_at", "Completed", "datetime"),
        ), owner=_owned_by_customer),
        _dataset("expenses", "Expenses", fact_expenses, (
            ("expense_id", "Expense id", "text"), ("owner_id", "Rep id", "text"), ("customer_id", "Customer id", "text"),
            ("category", "Category", "text"), ("amount", "Amount", "money"), ("status", "Status", "text"),
            ("spent_on", "Spent on", "date"),
        )),
        _dataset("tickets", "Tickets", fact_tickets, (
            ("ticket_id", "Ticket id", "text"), ("subject", "Subject", "text"), ("channel", "Channel", "text"),
            ("priority", "Priority", "text"), ("status", "Status", "text"), ("assignee_id", "Assignee id", "text"),
            ("group_id", "Group id", "text"), ("customer_id", "Customer id", "text"), ("owner_id", "Customer owner id", "text"),
            ("opened_at", "Opened", "datetime"), ("first_response_at", "First response", "datetime"),
            ("resolved_at", "Resolved", "datetime"), ("closed_at", "Closed", "datetime"),
            ("reopened", "Times reopened", "integer"), ("sla_breaches", "SLA breaches", "integer"),
            ("rating", "Satisfaction", "integer"),
        ), tickets=True),
    )
}


def describe() -> list[dict]:
    """Every dataset and its fields, for the report builder's pickers."""
    return [
        {
            "name": dataset.name,
            "label": dataset.label,
            "fields": [{"name": f.name, "label": f.label, "kind": f.kind} for f in dataset.fields.values()],
        }
        for dataset in DATASETS.values()
    ]
