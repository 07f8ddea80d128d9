"""Tables of the reporting database: the event archive and the read models projected from it.

The read models are one table per dataset of the report builder (`fact_*`, one row per lead, deal,
payment...), each kept current by projections/facts_*.py, plus the all-time channel counters and a copy
of the user directory (names, teams) for the "owner" and "team" fields and for data scopes.
"""
from sqlalchemy import JSON, Boolean, Column, Date, Index, Integer, LargeBinary, MetaData, Numeric, String, Table, Text
from sqlalchemy.dialects import postgresql

from crm_shared.db import NAMING_CONVENTION, ExactDecimal, UtcDateTime
from crm_shared.directory import directory_tables

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# JSONB on PostgreSQL so later read models and ad-hoc reports can query inside payloads.
Payload = JSON().with_variant(postgresql.JSONB(), "postgresql")
Id = String(36)

# Append-only: every event reporting consumed, as it arrived. Read models can always be rebuilt from it.
event_archive = Table(
    "event_archive",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("producer", String(100), nullable=False),
    # Text: correlation ids may come from a caller's X-Correlation-ID header, of any length.
    Column("actor", Text, nullable=False),
    Column("correlation_id", Text, nullable=False),
    Column("causation_id", Text),
    Column("payload", Payload, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Index("ix_event_archive_replay_order", "occurred_at", "received_at", "event_id"),
    Index("ix_event_archive_name", "name"),
)

# Read model: the funnel per acquisition channel (projections/channel_stats.py).
channel_stats = Table(
    "channel_stats",
    metadata,
    Column("channel", String(50), primary_key=True),
    Column("leads_created", Integer, nullable=False, server_default="0"),
    Column("leads_claimed", Integer, nullable=False, server_default="0"),
    Column("leads_converted", Integer, nullable=False, server_default="0"),
    Column("customers", Integer, nullable=False, server_default="0"),
    Column("tickets", Integer, nullable=False, server_default="0"),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# Who is who: roles and teams of every user (gateway.user.* events), for owner names, the team field
# and each viewer's data scope; team names, which the same events carry.
directory = directory_tables(metadata)
directory_team_names = Table(
    "directory_team_names",
    metadata,
    Column("team_id", Id, primary_key=True),
    Column("name", String(200), nullable=False),
)


def _guard(name: str) -> Column:
    # When the source last set the columns this guard covers (see projections/facts.py).
    return Column(name, UtcDateTime())


def _state_at() -> Column:
    # When the source changed the fact's state: an event older than this one arriving late is ignored
    # for state columns (facts only move forward in the source's order, never in arrival order).
    # NULL until an event that sets state arrives (a row may be created by, say, a follow-up first).
    return Column("state_at", UtcDateTime())


def _credited() -> tuple[Column, ...]:
    # Kept by the database (rollup_sql.py), not by projections: the channel and campaign this record is
    # credited to, from its customer and lead as they are now, so the roll-ups need no join to group by them.
    return Column("credited_channel", String(50)), Column("credited_campaign", String(100))


def _customer_owner(table: str) -> tuple:
    # Kept by the database (rollup_sql.py): the record's customer's current owner, whose figure it counts in.
    return (Column("customer_owner_id", Id), Index(f"ix_fact_{table}_customer_id", "customer_id"))


fact_leads = Table(
    "fact_leads",
    metadata,
    Column("lead_id", Id, primary_key=True),
    Column("company", String(300)),
    Column("channel", String(50)),
    Column("campaign", String(100)),
    Column("region", String(100)),
    Column("industry", String(100)),
    Column("pool_id", Id),
    Column("status", String(20), nullable=False),  # pool, claimed, returned, recycled, converted, merged
    Column("owner_id", Id),
    Column("customer_id", Id),
    Column("created_at", UtcDateTime()),
    Column("claimed_at", UtcDateTime()),
    Column("first_follow_up_at", UtcDateTime()),
    Column("converted_at", UtcDateTime()),
    Column("left_at", UtcDateTime()),  # last returned or recycled
    Column("follow_ups", Integer, nullable=False, server_default="0"),
    _state_at(),
    Index("ix_fact_leads_created_at", "created_at"),
    Index("ix_fact_leads_owner_id", "owner_id"),
    Index("ix_fact_leads_channel_created_at", "channel", "created_at"),
    Index("ix_fact_leads_converted_at", "converted_at"),
    Index("ix_fact_leads_claimed_at", "claimed_at"),
)

# Entries to and exits from the pools: one row per event that moved a lead in or out.
fact_pool_moves = Table(
    "fact_pool_moves",
    metadata,
    Column("event_id", Id, primary_key=True),
    Column("lead_id", Id, nullable=False),
    Column("pool_id", Id),
    Column("direction", String(5), nullable=False),  # in, out
    Column("kind", String(20), nullable=False),  # created, returned, recycled, claimed, distributed
    Column("reason", String(300)),
    Column("rule", String(200)),
    Column("channel", String(50)),
    Column("owner_id", Id),  # who took it out, or who lost it
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_fact_pool_moves_at", "at"),
    Index("ix_fact_pool_moves_owner_id_at", "owner_id", "at"),
)

fact_follow_ups = Table(
    "fact_follow_ups",
    metadata,
    Column("follow_up_id", Id, primary_key=True),
    Column("subject", String(10), nullable=False),  # lead, customer
    Column("lead_id", Id),
    Column("customer_id", Id),
    Column("opportunity_id", Id),
    Column("owner_id", Id),
    Column("kind", String(30)),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_fact_follow_ups_owner_id_at", "owner_id", "at"),
    Index("ix_fact_follow_ups_at", "at"),
)

fact_customers = Table(
    "fact_customers",
    metadata,
    Column("customer_id", Id, primary_key=True),
    Column("lead_id", Id),
    Column("name", String(300)),
    Column("owner_id", Id),
    Column("channel", String(50)),
    Column("level", String(50)),
    Column("region", String(100)),
    Column("industry", String(100)),
    Column("created_at", UtcDateTime()),
    _state_at(),
    _guard("owner_at"),  # the owner moves by events that say nothing of the profile (transfers, returns)
    *_credited(),
    Index("ix_fact_customers_owner_id", "owner_id"),
    Index("ix_fact_customers_lead_id", "lead_id"),
    Index("ix_fact_customers_created_at", "created_at"),
)

fact_opportunities = Table(
    "fact_opportunities",
    metadata,
    Column("opportunity_id", Id, primary_key=True),
    Column("customer_id", Id),
    Column("lead_id", Id),
    Column("name", String(300)),
    Column("stage", String(50)),
    Column("status", String(10), nullable=False),  # open, won, lost
    Column("amount", ExactDecimal()),
    Column("win_probability", Integer),
    _guard("probability_at"),
    Column("owner_id", Id),
    Column("expected_close_date", Date),
    _guard("close_date_at"),
    Column("opened_at", UtcDateTime()),
    Column("closed_at", UtcDateTime()),
    _state_at(),
    Index("ix_fact_opportunities_owner_id", "owner_id"),
    Index("ix_fact_opportunities_closed_at", "closed_at"),
    Index("ix_fact_opportunities_opened_at", "opened_at"),
    Index("ix_fact_opportunities_status_owner_id", "status", "owner_id"),
    *_credited(),
    Index("ix_fact_opportunities_customer_id", "customer_id"),
    Index("ix_fact_opportunities_lead_id", "lead_id"),
)

fact_orders = Table(
    "fact_orders",
    metadata,
    Column("order_id", Id, primary_key=True),
    Column("opportunity_id", Id),
    Column("customer_id", Id),
    Column("owner_id", Id),
    Column("status", String(10), nullable=False),  # placed, cancelled
    Column("subtotal", ExactDecimal()),
    Column("discount", ExactDecimal()),
    Column("tax", ExactDecimal()),
    Column("total", ExactDecimal()),
    Column("placed_at", UtcDateTime()),
    Column("cancelled_at", UtcDateTime()),
    _state_at(),
)

fact_contracts = Table(
    "fact_contracts",
    metadata,
    Column("contract_id", Id, primary_key=True),
    Column("order_id", Id),
    Column("customer_id", Id),
    Column("owner_id", Id),
    Column("title", String(300)),
    Column("status", String(20), nullable=False),
    Column("amount", ExactDecimal()),
    Column("start_date", Date),
    Column("end_date", Date),
    Column("drafted_at", UtcDateTime()),
    Column("signed_at", UtcDateTime()),
    _state_at(),
    Index("ix_fact_contracts_signed_at", "signed_at"),
)

fact_installments = Table(
    "fact_installments",
    metadata,
    Column("installment_id", Id, primary_key=True),
    Column("contract_id", Id),
    Column("customer_id", Id),
    Column("number", Integer),
    Column("planned_amount", ExactDecimal()),
    Column("planned_date", Date),
    _guard("plan_at"),
    # Added to by each payment (commutative, so the order payments and the plan arrive in does not matter).
    Column("paid_amount", ExactDecimal(), nullable=False, server_default="0"),
    Column("status", String(10), nullable=False),  # planned, voided, closed
    _state_at(),
    Index("ix_fact_installments_planned_date", "planned_date"),
    Index("ix_fact_installments_status_planned_date", "status", "planned_date"),
    *_customer_owner("installments"),
)

fact_payments = Table(
    "fact_payments",
    metadata,
    Column("payment_id", Id, primary_key=True),
    Column("contract_id", Id),
    Column("customer_id", Id),
    Column("amount", ExactDecimal()),
    Column("method", String(30)),
    Column("received_on", Date),
    Column("at", UtcDateTime()),
    Index("ix_fact_payments_received_on", "received_on"),
    *_customer_owner("payments"),
)

fact_invoices = Table(
    "fact_invoices",
    metadata,
    Column("invoice_id", Id, primary_key=True),
    Column("contract_id", Id),
    Column("customer_id", Id),
    Column("kind", String(20)),
    Column("status", String(20), nullable=False),
    Column("amount", ExactDecimal()),
    Column("tax_rate", ExactDecimal()),
    Column("requested_at", UtcDateTime()),
    Column("issued_on", Date),
    _state_at(),
    Index("ix_fact_invoices_issued_on", "issued_on"),
    *_customer_owner("invoices"),
)

fact_refunds = Table(
    "fact_refunds",
    metadata,
    Column("refund_id", Id, primary_key=True),
    Column("contract_id", Id),
    Column("customer_id", Id),
    Column("amount", ExactDecimal()),
    Column("reason", String(500)),
    Column("status", String(20), nullable=False),
    Column("requested_at", UtcDateTime()),
    Column("completed_at", UtcDateTime()),
    _state_at(),
    Index("ix_fact_refunds_completed_at", "completed_at"),
    *_customer_owner("refunds"),
)

fact_expenses = Table(
    "fact_expenses",
    metadata,
    Column("expense_id", Id, primary_key=True),
    Column("owner_id", Id),
    Column("customer_id", Id),
    Column("category", String(50)),
    Column("amount", ExactDecimal()),
    Column("status", String(20), nullable=False),
    Column("spent_on", Date),
    _state_at(),
    Index("ix_fact_expenses_spent_on", "spent_on"),
)

fact_targets = Table(
    "fact_targets",
    metadata,
    Column("target_id", Id, primary_key=True),
    Column("subject_kind", String(20), nullable=False),  # rep, team, department
    Column("subject_id", Id, nullable=False),
    Column("period", String(10)),
    Column("period_start", Date),
    Column("period_end", Date),
    Column("metric", String(30), nullable=False),
    Column("value", ExactDecimal()),
    _state_at(),
)

fact_tickets = Table(
    "fact_tickets",
    metadata,
    Column("ticket_id", Id, primary_key=True),
    Column("customer_id", Id),
    Column("owner_id", Id),  # the customer's owner, as the desk last reported it
    _guard("owner_at"),
    Column("subject", String(300)),
    Column("channel", String(50)),
    Column("priority", String(20)),
    _guard("priority_at"),
    Column("status", String(20), nullable=False),
    Column("assignee_id", Id),
    Column("group_id", Id),
    _guard("assignment_at"),
    Column("opened_at", UtcDateTime()),
    Column("first_response_at", UtcDateTime()),
    Column("resolved_at", UtcDateTime()),
    Column("closed_at", UtcDateTime()),
    Column("reopened", Integer, nullable=False, server_default="0"),
    Column("sla_breaches", Integer, nullable=False, server_default="0"),
    Column("rating", Integer),
    _guard("rating_at"),
    _state_at(),
    Index("ix_fact_tickets_opened_at", "opened_at"),
    Index("ix_fact_tickets_resolved_at", "resolved_at"),
    Index("ix_fact_tickets_status", "status"),
    *_credited(),
    Index("ix_fact_tickets_customer_id", "customer_id"),
)

# Reports users built (report_store.py): the definition, its layout, and who it is shared with. A shared
# report always runs with its viewer's own data scope.
saved_reports = Table(
    "saved_reports",
    metadata,
    Column("report_id", Id, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("description", String(1000), nullable=False, server_default=""),
    Column("owner_id", Id, nullable=False),
    Column("definition", JSON, nullable=False),
    Column("layout", JSON, nullable=False),
    Column("shared_user_ids", JSON, nullable=False),
    Column("shared_team_ids", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_saved_reports_owner_id", "owner_id"),
)

# Dashboards users put together from saved reports: tiles in order, each a report shown in its layout.
boards = Table(
    "boards",
    metadata,
    Column("board_id", Id, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("owner_id", Id, nullable=False),
    Column("tiles", JSON, nullable=False),
    Column("shared_user_ids", JSON, nullable=False),
    Column("shared_team_ids", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_boards_owner_id", "owner_id"),
)

# Scheduled reports (schedule_service.py): a saved report sent to people and teams at set times, each
# recipient computed with their own data scope. `next_run_at` (UTC) is what the job claims: it moves it on
# with an UPDATE naming the value it read, so two workers never run one due time twice.
report_schedules = Table(
    "report_schedules",
    metadata,
    Column("schedule_id", Id, primary_key=True),
    # No foreign key: a run finds its report deleted and deactivates the schedule with a reason.
    Column("report_id", Id, nullable=False),
    Column("owner_id", Id, nullable=False),
    Column("frequency", String(10), nullable=False),  # daily, weekly, monthly, cron
    Column("time_of_day", String(5)),  # HH:MM in time_zone; not for cron
    Column("weekday", String(10)),  # weekly: monday ... sunday
    Column("day_of_month", Integer),  # monthly: 1-28
    Column("cron", String(100)),
    Column("time_zone", String(64), nullable=False),
    Column("formats", JSON, nullable=False),
    Column("recipient_user_ids", JSON, nullable=False),
    Column("recipient_team_ids", JSON, nullable=False),
    Column("parameters", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("inactive_reason", String(300)),
    Column("next_run_at", UtcDateTime()),
    Column("last_run_at", UtcDateTime()),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_report_schedules_due", "active", "next_run_at"),
    Index("ix_report_schedules_owner_id", "owner_id"),
    Index("ix_report_schedules_report_id", "report_id"),
)

# Each run of a schedule (by the job or "run now"): who got files, who was skipped and why.
report_runs = Table(
    "report_runs",
    metadata,
    Column("run_id", Id, primary_key=True),
    Column("schedule_id", Id, nullable=False),
    Column("report_id", Id, nullable=False),
    Column("trigger", String(10), nullable=False),  # schedule, manual
    Column("due_at", UtcDateTime()),  # the due time the job claimed; none for "run now"
    Column("ran_at", UtcDateTime(), nullable=False),
    Column("outcome", String(20), nullable=False),  # delivered, nobody, report_deleted
    Column("delivered_to", JSON, nullable=False),
    Column("skipped", JSON, nullable=False),  # [{recipient_id or team_id, reason}]
    Index("ix_report_runs_schedule_id_ran_at", "schedule_id", "ran_at"),
)

# The files of every run, one per recipient and format, kept for download by their recipient.
report_files = Table(
    "report_files",
    metadata,
    Column("file_id", Id, primary_key=True),
    Column("schedule_id", Id, nullable=False),
    Column("run_id", Id, nullable=False),
    Column("report_id", Id, nullable=False),
    Column("recipient_id", Id, nullable=False),
    Column("format", String(4), nullable=False),  # xlsx, csv, png, svg
    Column("filename", String(200), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("byte_size", Integer, nullable=False),
    Column("row_count", Integer, nullable=False),
    Column("capped", Boolean, nullable=False),  # the export stopped at the row cap
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_report_files_recipient_id_created_at", "recipient_id", "created_at"),
    Index("ix_report_files_schedule_id", "schedule_id"),
    Index("ix_report_files_run_id", "run_id"),
)


# ---------------------------------------------------------------- roll-ups (PostgreSQL)
#
# The dashboards' figures summed per day (and per owner, for data scopes) so that a period is a few
# thousand small rows instead of every fact of it. Kept by PostgreSQL triggers on the fact tables, in
# the projection's own transaction (rollup_sql.py); read by dashboard_rollups.py. SQLite, the embedded
# default, has the tables but leaves them empty: its dashboards sum the facts.
#
# A `*_by_owner` table serves the own and team scopes (its key leads with the owner); its twin without
# the owner serves the "all" scope. Keys may be NULL (a lead with no campaign), hence unique indexes
# with NULLS NOT DISTINCT instead of primary keys.

Count = Integer
Money = ExactDecimal()
Seconds = Numeric()  # exact sums of EXTRACT(EPOCH ...): adding and taking away leaves no residue


def _rollup(name: str, keys: tuple[Column, ...], measures: dict[str, object], by_day: bool = True) -> Table:
    key_names = [column.name for column in keys]
    indexes = [Index(f"ix_{name}_key", *key_names, unique=True, postgresql_nulls_not_distinct=True)]
    if by_day and key_names[0] == "owner_id":
        indexes.append(Index(f"ix_{name}_day", "day"))
    return Table(
        name,
        metadata,
        *keys,
        *(Column(measure, kind, nullable=False, server_default="0") for measure, kind in measures.items()),
        *indexes,
    )


def _day() -> Column:
    return Column("day", Date, nullable=False)


def _owner() -> Column:
    return Column("owner_id", Id)


def _month() -> Column:
    return Column("month", Date, nullable=False)  # the first day of the month


ACQUISITION_MEASURES = {
    "leads_acquired": Count, "acquired_converted": Count, "leads_claimed": Count, "claims_followed_up": Count,
    "claim_wait_seconds": Seconds, "leads_converted": Count, "customers_created": Count,
    "opportunities_opened": Count, "deals_won": Count, "won_amount": Money, "tickets_opened": Count,
}
rollup_acquisition_by_owner = _rollup(
    "rollup_acquisition_by_owner",
    (_owner(), _day(), Column("channel", String(50)), Column("campaign", String(100))), ACQUISITION_MEASURES)
rollup_acquisition = _rollup(
    "rollup_acquisition", (_day(), Column("channel", String(50)), Column("campaign", String(100))),
    ACQUISITION_MEASURES)

SALES_MEASURES = {
    "follow_ups": Count, "new_customers": Count, "won_count": Count, "won_amount": Money,
    "planned_amount": Money, "paid_on_planned": Money, "collected_amount": Money, "invoiced_amount": Money,
    "refunded_amount": Money, "revenue": Money, "expenses": Money,
}
rollup_sales_by_owner = _rollup("rollup_sales_by_owner", (_owner(), _day()), SALES_MEASURES)
rollup_sales = _rollup("rollup_sales", (_day(),), SALES_MEASURES)
# The same per owner and month: the sales dashboard lists every rep, so in the "all" scope a quarter would
# be every rep's every day; whole months are read from here and only the odd days from the daily rows.
rollup_sales_by_owner_month = _rollup(
    "rollup_sales_by_owner_month", (_owner(), _month()), SALES_MEASURES, by_day=False)

# Installments still owed, by the day they were due: "overdue" is every day before today (whole months
# before this one from the monthly table).
OVERDUE_MEASURES = {"overdue_count": Count, "overdue_amount": Money}
rollup_overdue_by_owner = _rollup("rollup_overdue_by_owner", (_owner(), _day()), OVERDUE_MEASURES)
rollup_overdue_by_owner_month = _rollup(
    "rollup_overdue_by_owner_month", (_owner(), _month()), OVERDUE_MEASURES, by_day=False)

# The open pipeline as it is now.
rollup_pipeline_by_owner = _rollup(
    "rollup_pipeline_by_owner", (_owner(), Column("stage", String(50))),
    {"open_count": Count, "open_amount": Money}, by_day=False)

SERVICE_MEASURES = {
    "opened": Count, "responded": Count, "response_seconds": Seconds, "resolved_of_opened": Count,
    "resolution_seconds": Seconds, "within_sla": Count, "rated": Count, "rating_sum": Count, "resolved": Count,
}
rollup_service_by_owner = _rollup(
    "rollup_service_by_owner",
    (_owner(), _day(), Column("channel", String(50)), Column("priority", String(20))), SERVICE_MEASURES)
rollup_service = _rollup(
    "rollup_service", (_day(), Column("channel", String(50)), Column("priority", String(20))), SERVICE_MEASURES)

# Tickets not resolved or closed, as they are now.
rollup_open_tickets_by_owner = _rollup(
    "rollup_open_tickets_by_owner", (_owner(), Column("channel", String(50)), Column("priority", String(20))),
    {"open_count": Count}, by_day=False)

def _pool_move_keys() -> tuple[Column, ...]:
    return (Column("pool_id", Id), Column("direction", String(5)), Column("kind", String(20)),
            Column("reason", String(300)))


rollup_pool_moves_by_owner = _rollup(
    "rollup_pool_moves_by_owner", (_owner(), _day(), *_pool_move_keys()), {"moves": Count})
rollup_pool_moves = _rollup("rollup_pool_moves", (_day(), *_pool_move_keys()), {"moves": Count})

# The zone whose days the roll-ups are keyed by (one row). Dashboards read the roll-ups only while it is
# the reporting time zone; `python -m reporting.rebuild` keys them again after the zone is changed.
rollup_settings = Table(
    "rollup_settings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("time_zone", String(64), nullable=False),
)
