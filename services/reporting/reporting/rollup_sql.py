"""PostgreSQL keeps the dashboards' roll-ups (db.py, "roll-ups") and two derived columns of the facts.

Two invariants, each kept by triggers on the fact tables, in the transaction of whatever wrote the facts
(a projection batch, a rebuild, a migration):

1. **Derived columns equal their sources.** `credited_channel` / `credited_campaign` of customers,
   opportunities and tickets are the channel and campaign of the record's customer and lead as they are
   now (what the dashboards credit a record to); `customer_owner_id` of installments, payments, invoices and
   refunds is their customer's current owner (whose figures they count in). A row trigger sets them as the
   record is written (OWN_DERIVATION); when a lead or a customer changes, a statement trigger UPDATEs its
   dependants (PROPAGATIONS).
2. **A roll-up row is the sum of what the fact rows contribute to it.** Each contribution (CONTRIBUTIONS) is
   a function of one fact row's own columns: at one day, for one key, some measures. After every INSERT,
   UPDATE or DELETE a trigger adds the contributions of the statement's new rows and takes away those of
   its old rows (transition tables), grouped, in one upsert per roll-up. A row whose owner, state or credit
   changed so moves from its old key to its new one, whatever order the events arrived in, and an UPDATE
   of a derived column moves it like any other change.

Concurrency: two transactions could each miss the other's uncommitted lead or customer (a customer credited
from a lead inserted at the same moment, in another worker). So whatever projects events takes
`PROJECTION_LOCK` first (projections.project): projecting is one transaction at a time, and each sees what
the one before committed. A single lock, taken before any fact is written, cannot deadlock with row locks.

The roll-ups are keyed by days of the zone in `rollup_settings`; `refill` keys them again (rebuild).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping

from sqlalchemy import Connection, Table, func, select, text
from sqlalchemy.orm import Session

from reporting.config import reporting_time_zone
from reporting.db import (
    metadata,
    rollup_acquisition,
    rollup_acquisition_by_owner,
    rollup_open_tickets_by_owner,
    rollup_overdue_by_owner,
    rollup_overdue_by_owner_month,
    rollup_pipeline_by_owner,
    rollup_pool_moves,
    rollup_pool_moves_by_owner,
    rollup_sales,
    rollup_sales_by_owner,
    rollup_sales_by_owner_month,
    rollup_service,
    rollup_service_by_owner,
    rollup_settings,
)

# The transaction-level advisory lock every projecting transaction holds (see above).
PROJECTION_LOCK = 7301


# ---------------------------------------------------------------- what each fact row contributes

@dataclass(frozen=True)
class Family:
    """A roll-up kept per owner, and optionally its twin summed over owners (for the "all" scope) and its
    companion per owner and month (whole months of a long period, for every rep at once)."""

    by_owner: Table
    twin: Table | None = None
    by_month: Table | None = None

    @property
    def tables(self) -> tuple[Table, ...]:
        return tuple(table for table in (self.by_owner, self.twin, self.by_month) if table is not None)

    @property
    def keys(self) -> tuple[str, ...]:
        return _key_columns(self.by_owner)

    @property
    def measures(self) -> tuple[str, ...]:
        keys = set(self.keys)
        return tuple(column.name for column in self.by_owner.columns if column.name not in keys)


def _key_columns(table: Table) -> tuple[str, ...]:
    (key,) = (index for index in table.indexes if index.unique)
    return tuple(column.name for column in key.columns)


ACQUISITION = Family(rollup_acquisition_by_owner, rollup_acquisition)
SALES = Family(rollup_sales_by_owner, rollup_sales, rollup_sales_by_owner_month)
OVERDUE = Family(rollup_overdue_by_owner, by_month=rollup_overdue_by_owner_month)
PIPELINE = Family(rollup_pipeline_by_owner)
SERVICE = Family(rollup_service_by_owner, rollup_service)
OPEN_TICKETS = Family(rollup_open_tickets_by_owner)
POOL_MOVES = Family(rollup_pool_moves_by_owner, rollup_pool_moves)
FAMILIES = (ACQUISITION, SALES, OVERDUE, PIPELINE, SERVICE, OPEN_TICKETS, POOL_MOVES)

# The row's own columns are r.*; a day of a timestamp is its calendar day in the roll-ups' zone.
ZONE = "(SELECT time_zone FROM rollup_settings WHERE id = 1)"


def day_of(moment: str) -> str:
    return f"({moment} AT TIME ZONE {ZONE})::date"


def _when(condition: str, value: str = "1") -> str:
    return f"CASE WHEN {condition} THEN {value} ELSE 0 END"


def _seconds(start: str, end: str) -> str:
    return _when(f"{end} >= {start}", f"EXTRACT(EPOCH FROM {end} - {start})")


@dataclass(frozen=True)
class Contribution:
    """What each row of `fact` (satisfying `where`) adds to `family`: `measures` at the key `keys`."""

    fact: str
    family: Family
    keys: Mapping[str, str]
    measures: Mapping[str, str]
    where: str = "TRUE"

    def __post_init__(self):
        assert tuple(self.keys) == self.family.keys, (self.fact, tuple(self.keys), self.family.keys)
        assert set(self.measures) <= set(self.family.measures), (self.fact, set(self.measures))


def _lead_keys(day: str) -> dict:
    return {"owner_id": "r.owner_id", "day": day_of(f"r.{day}"), "channel": "r.channel", "campaign": "r.campaign"}


def _credited_keys(day: str) -> dict:
    return {"owner_id": "r.owner_id", "day": day_of(f"r.{day}"), "channel": "r.credited_channel",
            "campaign": "r.credited_campaign"}


def _amount(column: str = "amount") -> str:
    return f"coalesce(r.{column}, 0)"


# An installment closed by a revision was due only for what had been paid on it.
_PLANNED = "(CASE WHEN r.status = 'closed' THEN r.paid_amount ELSE r.planned_amount END)"
_FOLLOWED = "r.first_follow_up_at >= r.claimed_at"
# dashboards.resolution_moment
_RESOLVED = "coalesce(r.resolved_at, r.closed_at)"

CONTRIBUTIONS: tuple[Contribution, ...] = (
    Contribution("fact_leads", ACQUISITION, _lead_keys("created_at"),
                 {"leads_acquired": "1", "acquired_converted": _when("r.converted_at IS NOT NULL")},
                 "r.created_at IS NOT NULL"),
    Contribution("fact_leads", ACQUISITION, _lead_keys("claimed_at"),
                 {"leads_claimed": "1", "claims_followed_up": _when(_FOLLOWED),
                  "claim_wait_seconds": _seconds("r.claimed_at", "r.first_follow_up_at")},
                 "r.claimed_at IS NOT NULL"),
    Contribution("fact_leads", ACQUISITION, _lead_keys("converted_at"), {"leads_converted": "1"},
                 "r.converted_at IS NOT NULL"),
    Contribution("fact_customers", ACQUISITION, _credited_keys("created_at"), {"customers_created": "1"},
                 "r.created_at IS NOT NULL"),
    Contribution("fact_customers", SALES, {"owner_id": "r.owner_id", "day": day_of("r.created_at")},
                 {"new_customers": "1"}, "r.created_at IS NOT NULL"),
    Contribution("fact_opportunities", ACQUISITION, _credited_keys("opened_at"), {"opportunities_opened": "1"},
                 "r.opened_at IS NOT NULL"),
    Contribution("fact_opportunities", ACQUISITION, _credited_keys("closed_at"),
                 {"deals_won": "1", "won_amount": _amount()}, "r.status = 'won' AND r.closed_at IS NOT NULL"),
    Contribution("fact_opportunities", SALES, {"owner_id": "r.owner_id", "day": day_of("r.closed_at")},
                 {"won_count": "1", "won_amount": _amount()}, "r.status = 'won' AND r.closed_at IS NOT NULL"),
    Contribution("fact_opportunities", PIPELINE, {"owner_id": "r.owner_id", "stage": "r.stage"},
                 {"open_count": "1", "open_amount": _amount()}, "r.status = 'open'"),
    Contribution("fact_tickets", ACQUISITION, _credited_keys("opened_at"), {"tickets_opened": "1"},
                 "r.opened_at IS NOT NULL"),
    Contribution("fact_tickets", SERVICE,
                 {"owner_id": "r.owner_id", "day": day_of("r.opened_at"), "channel": "r.channel",
                  "priority": "r.priority"},
                 {"opened": "1", "responded": _when("r.first_response_at >= r.opened_at"),
                  "response_seconds": _seconds("r.opened_at", "r.first_response_at"),
                  "resolved_of_opened": _when(f"{_RESOLVED} >= r.opened_at"),
                  "resolution_seconds": _seconds("r.opened_at", _RESOLVED),
                  "within_sla": _when("r.sla_breaches = 0"), "rated": _when("r.rating IS NOT NULL"),
                  "rating_sum": "coalesce(r.rating, 0)"},
                 "r.opened_at IS NOT NULL"),
    Contribution("fact_tickets", SERVICE,
                 {"owner_id": "r.owner_id", "day": day_of(_RESOLVED), "channel": "r.channel",
                  "priority": "r.priority"},
                 {"resolved": "1"}, f"{_RESOLVED} IS NOT NULL"),
    Contribution("fact_tickets", OPEN_TICKETS,
                 {"owner_id": "r.owner_id", "channel": "r.channel", "priority": "r.priority"},
                 {"open_count": "1"}, "r.status NOT IN ('resolved', 'closed')"),
    Contribution("fact_follow_ups", SALES, {"owner_id": "r.owner_id", "day": day_of("r.at")}, {"follow_ups": "1"},
                 "r.at IS NOT NULL"),
    Contribution("fact_installments", SALES, {"owner_id": "r.customer_owner_id", "day": "r.planned_date"},
                 {"planned_amount": f"coalesce({_PLANNED}, 0)",
                  "paid_on_planned": f"coalesce(CASE WHEN r.paid_amount < {_PLANNED} THEN r.paid_amount "
                                     f"ELSE {_PLANNED} END, 0)"},
                 "r.status <> 'voided' AND r.planned_date IS NOT NULL"),
    Contribution("fact_installments", OVERDUE, {"owner_id": "r.customer_owner_id", "day": "r.planned_date"},
                 {"overdue_count": "1", "overdue_amount": "r.planned_amount - r.paid_amount"},
                 "r.status = 'planned' AND r.planned_amount - r.paid_amount > 0 AND r.planned_date IS NOT NULL"),
    Contribution("fact_payments", SALES, {"owner_id": "r.customer_owner_id", "day": "r.received_on"},
                 {"collected_amount": _amount()}, "r.received_on IS NOT NULL"),
    Contribution("fact_invoices", SALES, {"owner_id": "r.customer_owner_id", "day": "r.issued_on"},
                 {"invoiced_amount": _amount()}, "r.status = 'issued' AND r.issued_on IS NOT NULL"),
    Contribution("fact_refunds", SALES, {"owner_id": "r.customer_owner_id", "day": day_of("r.completed_at")},
                 {"refunded_amount": _amount()}, "r.status = 'completed' AND r.completed_at IS NOT NULL"),
    Contribution("fact_contracts", SALES, {"owner_id": "r.owner_id", "day": day_of("r.signed_at")},
                 {"revenue": _amount()}, "r.status <> 'voided' AND r.signed_at IS NOT NULL"),
    Contribution("fact_expenses", SALES, {"owner_id": "r.owner_id", "day": "r.spent_on"},
                 {"expenses": _amount()}, "r.status = 'approved' AND r.spent_on IS NOT NULL"),
    Contribution("fact_pool_moves", POOL_MOVES,
                 {"owner_id": "r.owner_id", "day": day_of("r.at"), "pool_id": "r.pool_id", "direction": "r.direction",
                  "kind": "r.kind", "reason": "r.reason"},
                 {"moves": "1"}),
)

FACTS_WITH_ROLLUPS = tuple(dict.fromkeys(contribution.fact for contribution in CONTRIBUTIONS))


def delta_statements(fact: str, added: str | None, removed: str | None) -> list[str]:
    """One upsert per roll-up `fact` feeds: what the rows of `added` contribute, less what `removed` did."""
    statements = []
    for family in dict.fromkeys(c.family for c in CONTRIBUTIONS if c.fact == fact):
        parts = []
        for contribution in (c for c in CONTRIBUTIONS if c.fact == fact and c.family is family):
            for source, sign in ((added, ""), (removed, "-")):
                if source is None:
                    continue
                values = [f"{expression} AS {key}" for key, expression in contribution.keys.items()]
                values += [f"{sign}({contribution.measures[measure]}) AS {measure}"
                           if measure in contribution.measures else f"0 AS {measure}" for measure in family.measures]
                parts.append(f"SELECT {', '.join(values)} FROM {source} r WHERE {contribution.where}")
        statements.append(_upsert(family, "\nUNION ALL\n".join(parts)))
    return statements


def _upsert(family: Family, contributions: str) -> str:
    keys, measures = family.keys, family.measures
    summed = ", ".join(f"sum({m}) AS {m}" for m in measures)
    nonzero = " OR ".join(f"{m} <> 0" for m in measures)
    sums_nonzero = " OR ".join(f"sum({m}) <> 0" for m in measures)
    delta = (f"delta AS (SELECT {', '.join(keys)}, {summed} FROM ({contributions}) c "
             f"GROUP BY {', '.join(keys)}), changed AS (SELECT * FROM delta WHERE {nonzero})")
    inserts = [_insert_adding(family.by_owner, keys, measures,
                              f"SELECT {', '.join(keys)}, {', '.join(measures)} FROM changed")]
    if family.twin is not None:
        twin_keys = _key_columns(family.twin)
        inserts.append(_insert_adding(
            family.twin, twin_keys, measures,
            f"SELECT {', '.join(twin_keys)}, {summed} FROM changed GROUP BY {', '.join(twin_keys)} "
            f"HAVING {sums_nonzero}"))
    if family.by_month is not None:
        assert _key_columns(family.by_month) == ("owner_id", "month") and keys == ("owner_id", "day"), family
        inserts.append(_insert_adding(
            family.by_month, ("owner_id", "month"), measures,
            f"SELECT owner_id, date_trunc('month', day)::date AS month, {summed} FROM changed GROUP BY 1, 2 "
            f"HAVING {sums_nonzero}"))
    # Every insert but the last is a CTE of the one statement (they all read `changed`).
    writes = [f"write_{n} AS ({insert})" for n, insert in enumerate(inserts[:-1])]
    return f"WITH {', '.join([delta, *writes])}\n{inserts[-1]}"


def _insert_adding(table: Table, keys: tuple[str, ...], measures: tuple[str, ...], rows: str) -> str:
    # ORDER BY the key: concurrent transactions lock the rows they add to in one order (no deadlock).
    additions = ", ".join(f"{m} = t.{m} + excluded.{m}" for m in measures)
    return (f"INSERT INTO {table.name} AS t ({', '.join(keys)}, {', '.join(measures)}) {rows} "
            f"ORDER BY {', '.join(str(n + 1) for n in range(len(keys)))} "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {additions}")


# ---------------------------------------------------------------- derived columns

# The credit of each kind of record, from its own row `x` and the tables as they are now.
_CREDIT_OF_CUSTOMER = """
    SELECT x.customer_id AS id, coalesce(x.channel, l.channel) AS channel, l.campaign AS campaign
    FROM fact_customers x LEFT JOIN fact_leads l ON l.lead_id = x.lead_id"""
_CREDIT_OF_OPPORTUNITY = """
    SELECT x.opportunity_id AS id, coalesce(c.channel, l.channel) AS channel, l.campaign AS campaign
    FROM fact_opportunities x LEFT JOIN fact_customers c ON c.customer_id = x.customer_id
    LEFT JOIN fact_leads l ON l.lead_id = coalesce(x.lead_id, c.lead_id)"""
_CREDIT_OF_TICKET = """
    SELECT x.ticket_id AS id, coalesce(c.channel, l.channel) AS channel, l.campaign AS campaign
    FROM fact_tickets x LEFT JOIN fact_customers c ON c.customer_id = x.customer_id
    LEFT JOIN fact_leads l ON l.lead_id = c.lead_id"""

CREDITED = {  # table: (primary key, the query of its credit)
    "fact_customers": ("customer_id", _CREDIT_OF_CUSTOMER),
    "fact_opportunities": ("opportunity_id", _CREDIT_OF_OPPORTUNITY),
    "fact_tickets": ("ticket_id", _CREDIT_OF_TICKET),
}
OWNED_THROUGH_CUSTOMER = {"fact_installments": "installment_id", "fact_payments": "payment_id",
                          "fact_invoices": "invoice_id", "fact_refunds": "refund_id"}


def recredit(table: str, which: str) -> str:
    """UPDATE the credit of the rows of `table` whose id is in `which` (a query of ids; None: every row)."""
    key, credit = CREDITED[table]
    chosen = "" if which is None else f" WHERE x.{key} IN ({which})"
    return (f"UPDATE {table} t SET credited_channel = n.channel, credited_campaign = n.campaign "
            f"FROM ({credit}{chosen}) n WHERE t.{key} = n.id "
            f"AND (t.credited_channel, t.credited_campaign) IS DISTINCT FROM (n.channel, n.campaign)")


def reown(table: str, customers: str | None) -> list[str]:
    """UPDATEs of customer_owner_id of the rows of `table` of the customers in `customers` (None: every row)."""
    chosen = "" if customers is None else f" AND t.customer_id IN ({customers})"
    return [
        f"UPDATE {table} t SET customer_owner_id = c.owner_id FROM fact_customers c "
        f"WHERE c.customer_id = t.customer_id{chosen} AND t.customer_owner_id IS DISTINCT FROM c.owner_id",
        # A customer that is gone (a rebuild empties the facts) leaves its records with no owner.
        f"UPDATE {table} t SET customer_owner_id = NULL WHERE t.customer_owner_id IS NOT NULL{chosen} "
        f"AND NOT EXISTS (SELECT 1 FROM fact_customers c WHERE c.customer_id = t.customer_id)",
    ]


# A record's own derived columns are set by a row trigger BEFORE it is written (from the lead and customer
# as they are now), so they are right in the row version the write makes: no second UPDATE of the row.
# The body assigns NEW's derived columns; `derive_before` fires on INSERT and on an UPDATE that sets one
# of the columns they are derived from. The rules are CREDITED's and reown's, row by row: the refill uses
# those, and test_rollup_equivalence holds a refill equal to what the triggers kept.
OWN_DERIVATION = {  # table: (the columns it is derived from, the plpgsql that sets NEW's derived columns)
    "fact_customers": (("channel", "lead_id"), """
    SELECT l.channel, l.campaign INTO NEW.credited_channel, NEW.credited_campaign
      FROM fact_leads l WHERE l.lead_id = NEW.lead_id;
    NEW.credited_channel := coalesce(NEW.channel, NEW.credited_channel);"""),
    "fact_opportunities": (("customer_id", "lead_id"), """
    SELECT c.channel, c.lead_id INTO customer_channel, customer_lead
      FROM fact_customers c WHERE c.customer_id = NEW.customer_id;
    SELECT l.channel, l.campaign INTO NEW.credited_channel, NEW.credited_campaign
      FROM fact_leads l WHERE l.lead_id = coalesce(NEW.lead_id, customer_lead);
    NEW.credited_channel := coalesce(customer_channel, NEW.credited_channel);"""),
    "fact_tickets": (("customer_id",), """
    SELECT c.channel, c.lead_id INTO customer_channel, customer_lead
      FROM fact_customers c WHERE c.customer_id = NEW.customer_id;
    SELECT l.channel, l.campaign INTO NEW.credited_channel, NEW.credited_campaign
      FROM fact_leads l WHERE l.lead_id = customer_lead;
    NEW.credited_channel := coalesce(customer_channel, NEW.credited_channel);"""),
    **{table: (("customer_id",), """
    SELECT c.owner_id INTO NEW.customer_owner_id FROM fact_customers c WHERE c.customer_id = NEW.customer_id;""")
       for table in OWNED_THROUGH_CUSTOMER},
}


@dataclass(frozen=True)
class Dependants:
    """The rows of `table` whose `column` names a changed row, and the statements that update them.

    The statements name the changed rows' keys as the array `changed`.
    """

    table: str
    column: str
    statements: tuple[str, ...]


@dataclass(frozen=True)
class Propagation:
    """When rows of `table` change in `watched` columns, their dependants are brought up to date."""

    table: str
    key: str
    watched: tuple[str, ...]
    dependants: tuple[Dependants, ...]


def _credited_dependants(table: str, column: str) -> Dependants:
    key, _ = CREDITED[table]
    return Dependants(table, column, (recredit(table, f"SELECT {key} FROM {table} WHERE {column} = ANY(changed)"),))


# A lead credits the customers and opportunities that name it; a customer credits its opportunities and
# tickets and owns its money records.
PROPAGATIONS = (
    Propagation("fact_leads", "lead_id", ("channel", "campaign"), (
        _credited_dependants("fact_customers", "lead_id"),
        _credited_dependants("fact_opportunities", "lead_id"),
    )),
    Propagation("fact_customers", "customer_id",
                ("owner_id", "channel", "lead_id", "credited_channel", "credited_campaign"), (
        _credited_dependants("fact_opportunities", "customer_id"),
        _credited_dependants("fact_tickets", "customer_id"),
        *(Dependants(money, "customer_id", tuple(reown(money, "SELECT unnest(changed)")))
          for money in OWNED_THROUGH_CUSTOMER),
    )),
)

_OPERATIONS = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
}

# Set for its transaction by `refill`, which recomputes everything the statement triggers would keep.
REFILLING = "reporting.refilling"
_STAND_ASIDE = f"  IF current_setting('{REFILLING}', true) = 'on' THEN RETURN NULL; END IF;\n"


def _changed_rows(key: str, watched: Iterable[str]) -> str:
    """The statement's updated rows (n) whose `watched` columns differ from their old values (o)."""
    new = ", ".join(f"n.{column}" for column in watched)
    old = ", ".join(f"o.{column}" for column in watched)
    return f"new_rows n JOIN old_rows o ON o.{key} = n.{key} WHERE ({new}) IS DISTINCT FROM ({old})"


def _propagate_function(propagation: Propagation) -> str:
    key = propagation.key
    return (
        f"CREATE OR REPLACE FUNCTION propagate_{propagation.table}() RETURNS trigger LANGUAGE plpgsql AS $body$\n"
        f"DECLARE\n  changed text[];\nBEGIN\n{_STAND_ASIDE}"
        f"  IF TG_OP = 'INSERT' THEN\n    SELECT array_agg({key}) INTO changed FROM new_rows;\n"
        f"  ELSIF TG_OP = 'DELETE' THEN\n    SELECT array_agg({key}) INTO changed FROM old_rows;\n"
        f"  ELSE\n    SELECT array_agg(n.{key}) INTO changed FROM {_changed_rows(key, propagation.watched)};\n"
        f"  END IF;\n  IF changed IS NULL THEN RETURN NULL; END IF;\n"
        # Most changed leads and customers have no dependants yet (they are new): an index probe says so.
        + "".join(f"  IF EXISTS (SELECT 1 FROM {dependants.table} WHERE {dependants.column} = ANY(changed)) THEN\n"
                  + "".join(f"    {statement};\n" for statement in dependants.statements) + "  END IF;\n"
                  for dependants in propagation.dependants)
        + "  RETURN NULL;\nEND\n$body$"
    )


def _read_columns(fact: str) -> tuple[str, ...]:
    """The columns of `fact` its contributions read: an UPDATE that changes none of them moves nothing."""
    expressions = [expression for contribution in CONTRIBUTIONS if contribution.fact == fact
                   for expression in (*contribution.keys.values(), *contribution.measures.values(), contribution.where)]
    return tuple(sorted({column for expression in expressions for column in re.findall(r"\br\.(\w+)", expression)}))


def _rollup_function(fact: str) -> str:
    (key,) = metadata.tables[fact].primary_key.columns.keys()
    return (
        f"CREATE OR REPLACE FUNCTION rollup_{fact}() RETURNS trigger LANGUAGE plpgsql AS $body$\nBEGIN\n{_STAND_ASIDE}"
        f"  IF TG_OP = 'INSERT' THEN\n"
        + "".join(f"    {statement};\n" for statement in delta_statements(fact, "new_rows", None))
        + "  ELSIF TG_OP = 'DELETE' THEN\n"
        + "".join(f"    {statement};\n" for statement in delta_statements(fact, None, "old_rows"))
        + f"  ELSIF EXISTS (SELECT 1 FROM {_changed_rows(key, _read_columns(fact))}) THEN\n"
        + "".join(f"    {statement};\n" for statement in delta_statements(fact, "new_rows", "old_rows"))
        + "  END IF;\n  RETURN NULL;\nEND\n$body$"
    )


def _row_function(table: str) -> str:
    _, assignments = OWN_DERIVATION[table]
    return (f"CREATE OR REPLACE FUNCTION derive_{table}() RETURNS trigger LANGUAGE plpgsql AS $body$\n"
            f"DECLARE\n  customer_channel text;\n  customer_lead text;\nBEGIN{assignments}\n  RETURN NEW;\nEND\n$body$")


def install_statements() -> list[str]:
    """The functions and triggers (PostgreSQL), in an order that can run in one migration."""
    statements = []
    for table, (sources, _) in OWN_DERIVATION.items():
        statements += [_row_function(table),
                       f"CREATE TRIGGER derive_before BEFORE INSERT OR UPDATE OF {', '.join(sources)} ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION derive_{table}()"]
    for propagation in PROPAGATIONS:
        statements.append(_propagate_function(propagation))
        statements += [_statement_trigger(f"propagate_after_{op.lower()}", propagation.table, op,
                                          f"propagate_{propagation.table}") for op in _OPERATIONS]
    for fact in FACTS_WITH_ROLLUPS:
        statements.append(_rollup_function(fact))
        statements += [_statement_trigger(f"rollup_after_{op.lower()}", fact, op, f"rollup_{fact}")
                       for op in _OPERATIONS]
    return statements


def _statement_trigger(name: str, table: str, op: str, function: str) -> str:
    return (f"CREATE TRIGGER {name} AFTER {op} ON {table} {_OPERATIONS[op]} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()")


def uninstall_statements() -> list[str]:
    statements = []
    for table in OWN_DERIVATION:
        statements += [f"DROP TRIGGER IF EXISTS derive_before ON {table}", f"DROP FUNCTION IF EXISTS derive_{table}()"]
    for table in (propagation.table for propagation in PROPAGATIONS):
        statements += [f"DROP TRIGGER IF EXISTS propagate_after_{op.lower()} ON {table}" for op in _OPERATIONS]
        statements.append(f"DROP FUNCTION IF EXISTS propagate_{table}()")
    for table in FACTS_WITH_ROLLUPS:
        statements += [f"DROP TRIGGER IF EXISTS rollup_after_{op.lower()} ON {table}" for op in _OPERATIONS]
        statements.append(f"DROP FUNCTION IF EXISTS rollup_{table}()")
    return statements


# ---------------------------------------------------------------- whole-table recomputation and use

def refill(connection: Connection, zone: str | None = None) -> None:
    """Bring every derived column up to date and recompute every roll-up from the facts (PostgreSQL).

    With `zone`, the roll-ups are keyed by that zone's days from now on. In the caller's transaction: the
    dashboards see the old roll-ups until it commits.
    """
    # The statement triggers stand aside: their work is what this recomputes, set-based, in full.
    connection.execute(text(f"SELECT set_config('{REFILLING}', 'on', true)"))
    if zone is not None:
        connection.execute(text(
            "INSERT INTO rollup_settings (id, time_zone) VALUES (1, :zone) "
            "ON CONFLICT (id) DO UPDATE SET time_zone = excluded.time_zone"), {"zone": zone})
    for table in CREDITED:
        connection.execute(text(recredit(table, None)))
    for table in OWNED_THROUGH_CUSTOMER:
        for statement in reown(table, None):
            connection.execute(text(statement))
    for family in FAMILIES:
        for table in family.tables:
            connection.execute(text(f"DELETE FROM {table.name}"))
    for fact in FACTS_WITH_ROLLUPS:
        for statement in delta_statements(fact, fact, None):
            connection.execute(text(statement))
    connection.execute(text(f"SELECT set_config('{REFILLING}', 'off', true)"))


def hold_projection_lock(session: Session) -> None:
    """Wait until no other transaction is projecting, and keep it so until this one ends (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(PROJECTION_LOCK)))


def rollups_ready(session: Session) -> bool:
    """Whether the dashboards may read the roll-ups: PostgreSQL, keyed by the reporting time zone's days."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    keyed_by = session.execute(select(rollup_settings.c.time_zone).where(rollup_settings.c.id == 1)).scalar()
    return keyed_by == reporting_time_zone().key
