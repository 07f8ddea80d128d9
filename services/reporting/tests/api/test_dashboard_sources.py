"""The dashboards' two sources: the fact tables and the roll-ups give the same figures, and which one is read."""
import json
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select, update

from crm_shared.envelope import Envelope
from crm_shared.testing import contract_with
from reporting import dashboards, rollup_sql, schema_dump
from reporting.config import reporting_time_zone
from reporting.db import rollup_acquisition
from reporting.periods import Period
from reporting.schemas import (
    AcquisitionDashboardSchema,
    ExecutiveDashboardSchema,
    PoolDashboardSchema,
    SalesDashboardSchema,
    ServiceDashboardSchema,
)
from reporting.scopes import ALL, OWN, TEAM, Scope

EAST, WEST = "team-east", "team-west"
REP_A, REP_B, MANAGER, BOSS, AGENT, GHOST = "rep-a", "rep-b", "manager-east", "boss", "agent", "ghost"
SCOPES = {
    "all": Scope(BOSS, ALL, frozenset()),
    "team": Scope(MANAGER, TEAM, frozenset({EAST})),
    "own": Scope(REP_A, OWN, frozenset({EAST})),
    "own, every ticket": Scope(AGENT, OWN, frozenset(), sees_all_tickets=True),
    "own, nothing owned": Scope(GHOST, OWN, frozenset({EAST})),
}
TODAY = date(2026, 11, 15)


def happened(name: str, occurred_at: str, **payload) -> Envelope:
    envelope = contract_with(name, **payload)
    return Envelope.from_dict({**envelope.to_dict(), "occurred_at": occurred_at})


def register(deliver, user_id: str, role: str, team: str | None) -> None:
    deliver(happened(
        "gateway.user.registered.v1", "2026-01-01T00:00:00Z", user_id=user_id, username=user_id, display_name=user_id,
        roles=[role], team_ids=[team] if team else [], teams=[{"id": team, "name": team}] if team else [],
        changed_at="2026-01-01T00:00:00Z"))


@pytest.fixture
def history(deliver, postgresql_only):
    """A little of everything in October 2026 (Asia/Shanghai), with a few records on either side of it."""
    for user_id, role, team in ((REP_A, "sales_rep", EAST), (REP_B, "sales_rep", WEST),
                                (MANAGER, "sales_manager", EAST), (BOSS, "executive", None),
                                (AGENT, "service_agent", None), (GHOST, "sales_rep", EAST)):
        register(deliver, user_id, role, team)
    # Leads: l-1 claimed, followed up after 90 minutes, converted; l-2 distributed then recycled; l-3 is November's.
    for lead_id, channel, campaign, at in (("l-1", "web", "spring", "2026-10-02T01:00:00Z"),
                                           ("l-2", "partner", None, "2026-10-04T01:00:00Z"),
                                           ("l-3", "web", "spring", "2026-10-31T16:00:00Z")):
        deliver(happened("leads.lead.created.v1", at, lead_id=lead_id, pool_id="pool-1", channel=channel,
                         campaign=campaign, created_at=at))
    deliver(happened("leads.lead.claimed.v1", "2026-10-03T01:00:00Z", lead_id="l-1", pool_id="pool-1",
                     owner_id=REP_A, channel="web", campaign="spring", claimed_at="2026-10-03T01:00:00Z"))
    deliver(happened("leads.follow_up.logged.v1", "2026-10-03T02:30:00Z", follow_up_id="fu-1", lead_id="l-1",
                     owner_id=REP_A, logged_at="2026-10-03T02:30:00Z"))
    deliver(happened("leads.lead.converted.v1", "2026-10-05T01:00:00Z", lead_id="l-1", owner_id=REP_A, channel="web",
                     campaign="spring", converted_at="2026-10-05T01:00:00Z"))
    deliver(happened("leads.lead.distributed.v1", "2026-10-05T00:00:00Z", lead_id="l-2", pool_id="pool-1",
                     owner_id=REP_B, distributed_at="2026-10-05T00:00:00Z"))
    deliver(happened("leads.lead.recycled.v1", "2026-10-20T00:00:00Z", lead_id="l-2", pool_id="pool-1",
                     previous_owner_id=REP_B, reason="no follow-up for 8 days", recycled_at="2026-10-20T00:00:00Z"))
    # Customers: Anna's from l-1, Bo's with a channel of its own and no lead.
    deliver(happened("sales.customer.created.v1", "2026-10-05T01:00:01Z", customer_id="c-1", lead_id="l-1",
                     owner_id=REP_A, channel="web", created_at="2026-10-05T01:00:01Z"))
    deliver(happened("sales.customer.created.v1", "2026-10-06T01:00:00Z", customer_id="c-2", lead_id=None,
                     owner_id=REP_B, channel="referral", created_at="2026-10-06T01:00:00Z"))
    deliver(happened("sales.opportunity.opened.v1", "2026-10-06T01:00:00Z", opportunity_id="o-1", customer_id="c-1",
                     lead_id="l-1", owner_id=REP_A, stage="proposal", amount="8000.00",
                     opened_at="2026-10-06T01:00:00Z"))
    deliver(happened("sales.opportunity.closed.v1", "2026-10-20T01:00:00Z", opportunity_id="o-1", customer_id="c-1",
                     lead_id="l-1", owner_id=REP_A, amount="8000.50", outcome="won", closed_at="2026-10-20T01:00:00Z"))
    deliver(happened("sales.opportunity.opened.v1", "2026-10-07T01:00:00Z", opportunity_id="o-2", customer_id="c-2",
                     owner_id=REP_B, stage="qualification", amount="300.00", opened_at="2026-10-07T01:00:00Z"))
    # Tickets: Anna's customer's answered after 30 minutes and resolved; Bo's customer's still open.
    deliver(happened("service_desk.ticket.opened.v1", "2026-10-21T01:00:00Z", ticket_id="t-1", customer_id="c-1",
                     customer_owner_id=REP_A, channel="email", priority="high", status="new",
                     opened_at="2026-10-21T01:00:00Z"))
    deliver(happened("service_desk.ticket.replied.v1", "2026-10-21T01:30:00Z", ticket_id="t-1",
                     customer_owner_id=REP_A, author_kind="agent", replied_at="2026-10-21T01:30:00Z", status="open"))
    deliver(happened("service_desk.ticket.status_changed.v1", "2026-10-21T03:00:00Z", ticket_id="t-1",
                     customer_owner_id=REP_A, to_status="resolved", changed_at="2026-10-21T03:00:00Z"))
    deliver(happened("service_desk.ticket.opened.v1", "2026-10-22T01:00:00Z", ticket_id="t-2", customer_id="c-2",
                     customer_owner_id=REP_B, channel="web", priority="low", status="new",
                     opened_at="2026-10-22T01:00:00Z"))
    # Money: a plan with an installment due in October (a quarter paid), an invoice, a refund, contracts, expenses.
    deliver(happened("sales.payment_plan.created.v1", "2026-10-01T00:00:00Z", contract_id="ct-a", customer_id="c-1",
                     installments=[{"installment_id": "in-1", "number": 1, "planned_amount": "1000.00",
                                    "planned_date": "2026-10-10"},
                                   {"installment_id": "in-2", "number": 2, "planned_amount": "2000.00",
                                    "planned_date": "2026-12-10"}]))
    deliver(happened("sales.payment.received.v1", "2026-10-10T02:00:00Z", payment_id="pay-1", contract_id="ct-a",
                     customer_id="c-1", amount="250.00", received_on="2026-10-10",
                     installments=[{"installment_id": "in-1", "number": 1, "amount": "250.00"}]))
    deliver(happened("sales.invoice.issued.v1", "2026-10-20T02:00:00Z", invoice_id="inv-1", customer_id="c-1",
                     status="issued", amount="1130.00", issued_on="2026-10-20"))
    deliver(happened("sales.refund.completed.v1", "2026-10-25T00:00:00Z", refund_id="rf-1", customer_id="c-2",
                     amount="50.00", status="completed", voided_installment_ids=[], at="2026-10-25T00:00:00Z"))
    for contract_id, owner, amount, at in (("ct-a", REP_A, "10000.00", "2026-10-10T00:00:00Z"),
                                           ("ct-p", REP_A, "8000.00", "2026-09-15T00:00:00Z"),
                                           ("ct-b", REP_B, "5000.00", "2026-10-31T15:59:00Z")):
        deliver(happened("sales.contract.signed.v1", at, contract_id=contract_id, owner_id=owner, amount=amount,
                         status="signed", at=at))
    deliver(happened("sales.expense.approved.v1", "2026-10-08T02:00:00Z", expense_id="ex-1", rep_id=REP_A,
                     amount="1500.00", spent_on="2026-10-08", status="approved"))
    for target_id, kind, subject, metric, value in (("tg-a", "rep", REP_A, "won_amount", "20000.00"),
                                                    ("tg-b", "rep", REP_B, "new_customers", "2.00"),
                                                    ("tg-east", "team", EAST, "payments_collected", "4000.00")):
        deliver(happened("sales.target.set.v1", "2026-09-01T00:00:00Z", target_id=target_id, subject_kind=kind,
                         subject_id=subject, metric=metric, period="2026-10", period_start="2026-10-01",
                         period_end="2026-11-01", value=value))


def october() -> Period:
    return Period(date(2026, 10, 1), date(2026, 10, 31), reporting_time_zone())


def all_dashboards(uow_factory, scope: Scope, period: Period, source: str | None) -> dict:
    with uow_factory() as uow:
        session = uow.session
        return {
            "acquisition": dashboards.acquisition(session, scope, period, source=source),
            "sales": dashboards.sales(session, scope, period, TODAY, source=source),
            "service": dashboards.service(session, scope, period, source=source),
            "pool": dashboards.pool(session, scope, period, source=source),
            "executive": dashboards.executive(session, scope, period, source=source),
        }


@pytest.mark.parametrize("scope_name", sorted(SCOPES))
def test_the_rollups_give_exactly_the_figures_of_the_facts(uow_factory, history, scope_name):
    period = october()
    facts = all_dashboards(uow_factory, SCOPES[scope_name], period, "facts")
    rollups = all_dashboards(uow_factory, SCOPES[scope_name], period, "rollups")

    assert rollups == facts
    assert repr(rollups) == repr(facts)  # the same types too: Decimal('1.00') is not 1.0, nor Decimal('1')
    if scope_name != "own, nothing owned":
        assert facts["acquisition"]["totals"]["leads_acquired"] or facts["service"]["totals"]["opened"]


def test_every_figure_of_the_history_is_there_in_the_all_scope(uow_factory, history):
    figures = all_dashboards(uow_factory, SCOPES["all"], october(), "rollups")

    assert figures["acquisition"]["totals"]["leads_acquired"] == 2
    assert figures["acquisition"]["totals"]["tickets_opened"] == 2
    assert [rep["owner_id"] for rep in figures["sales"]["reps"]] == [REP_A, REP_B]
    assert figures["sales"]["totals"]["overdue_count"] == 1
    assert figures["service"]["totals"]["avg_first_response_minutes"] == 30.0
    assert figures["pool"]["reasons"] == [{"kind": "recycled", "reason": "no follow-up for 8 days", "count": 1}]
    assert figures["pool"]["claim_to_first_follow_up"] == {"leads": 1, "average_hours": 1.5}
    assert figures["executive"]["revenue"]["value"] == Decimal("15000.00")
    assert {row["target_id"]: row["actual"] for row in figures["executive"]["targets"]["reps"]} == {
        "tg-a": "8000.50", "tg-b": "1"}


def test_rollup_rows_of_zeros_show_on_no_dashboard(uow_factory, engine, history):
    # What a fact that moved to another key leaves behind: rows whose every measure is back to 0.
    ghost = {"owner_id": GHOST, "day": date(2026, 10, 15), "channel": "ghost", "campaign": "ghost",
             "priority": "ghost", "stage": "ghost", "pool_id": "ghost", "direction": "in", "kind": "returned",
             "reason": "ghost"}
    tables = [table for family in rollup_sql.FAMILIES for table in (family.by_owner, family.twin) if table is not None]
    with engine.begin() as connection:
        for table in tables:
            connection.execute(insert(table).values({key: value for key, value in ghost.items() if key in table.c}))
    with engine.connect() as connection:
        assert all(connection.execute(select(func.count()).select_from(table)).scalar() > 1 for table in tables)

    for scope in SCOPES.values():
        facts = all_dashboards(uow_factory, scope, october(), "facts")
        rollups = all_dashboards(uow_factory, scope, october(), "rollups")
        assert rollups == facts, scope
        assert "ghost" not in repr(rollups)


def test_on_postgresql_the_dashboards_read_the_rollups_unless_told_otherwise(uow_factory, engine, history):
    # A figure only the roll-ups have shows which source a dashboard read.
    with engine.begin() as connection:
        added = connection.execute(
            update(rollup_acquisition)
            .where(rollup_acquisition.c.channel == "partner", rollup_acquisition.c.leads_acquired == 1)
            .values(leads_acquired=41))
        assert added.rowcount == 1

    def partner_leads(source):
        with uow_factory() as uow:
            figures = dashboards.acquisition(uow.session, SCOPES["all"], october(), source=source)
        return {row["channel"]: row["leads_acquired"] for row in figures["channels"]}["partner"]

    assert partner_leads(None) == 41
    assert partner_leads("rollups") == 41
    assert partner_leads("facts") == 1


def test_a_period_in_another_time_zone_than_the_rollups_reads_the_facts(uow_factory, history):
    elsewhere = Period(date(2026, 10, 1), date(2026, 10, 31), ZoneInfo("America/New_York"))
    assert elsewhere.zone.key != reporting_time_zone().key

    with uow_factory() as uow:
        assert dashboards.reads_rollups(uow.session, october(), None)
        assert not dashboards.reads_rollups(uow.session, elsewhere, None)


def test_an_unknown_source_is_refused():
    with pytest.raises(ValueError, match="no dashboard source 'cache'"):
        dashboards.reads_rollups(None, october(), "cache")


def test_a_rep_whose_records_add_nothing_is_on_neither_sources_sales_dashboard(deliver, uow_factory, history):
    # Zhu's only record of October: an installment closed by a revision before anything was paid on it.
    register(deliver, "rep-z", "sales_rep", WEST)
    deliver(happened("sales.customer.created.v1", "2026-09-01T00:00:00Z", customer_id="c-z", lead_id=None,
                     owner_id="rep-z", created_at="2026-09-01T00:00:00Z"))
    deliver(happened("sales.payment_plan.created.v1", "2026-09-02T00:00:00Z", contract_id="ct-z", customer_id="c-z",
                     installments=[{"installment_id": "in-z", "number": 1, "planned_amount": "100.00",
                                    "planned_date": "2026-10-10"}]))
    deliver(happened("sales.payment_plan.revised.v1", "2026-09-03T00:00:00Z", contract_id="ct-z", customer_id="c-z",
                     kept_installment_ids=[], closed_installment_ids=["in-z"], voided_installment_ids=[],
                     installments=[], at="2026-09-03T00:00:00Z"))

    for source in ("facts", "rollups"):
        with uow_factory() as uow:
            figures = dashboards.sales(uow.session, SCOPES["all"], october(), TODAY, source=source)
        assert [rep["owner_id"] for rep in figures["reps"]] == [REP_A, REP_B], source
        assert [team["team_id"] for team in figures["teams"]] == [EAST, WEST], source


@pytest.mark.parametrize("scope_name", list(SCOPES))
def test_the_compiled_response_dump_equals_marshmallows(uow_factory, history, scope_name):
    schemas = {"acquisition": AcquisitionDashboardSchema, "sales": SalesDashboardSchema,
               "service": ServiceDashboardSchema, "pool": PoolDashboardSchema, "executive": ExecutiveDashboardSchema}
    for name, figures in all_dashboards(uow_factory, SCOPES[scope_name], october(), None).items():
        described = {**figures, "period": {  # as service._described adds it
            "first": date(2026, 10, 1), "last": date(2026, 10, 31), "time_zone": "Asia/Shanghai", "scope": "all",
            "previous": {"first": date(2026, 9, 1), "last": date(2026, 9, 30), "time_zone": "Asia/Shanghai"}}}
        # As JSON: 1 and 1.0 are equal in Python but not to a client.
        compiled, marshmallows = schema_dump.compiled(schemas[name])(described), schemas[name]().dump(described)
        assert json.dumps(compiled, sort_keys=True) == json.dumps(marshmallows, sort_keys=True), name
