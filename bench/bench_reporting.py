"""Reporting at scale: projection throughput, dashboards, custom reports and exports, each next to a raw baseline.

    .venv/bin/python bench/bench_reporting.py --amqp amqp://guest:guest@127.0.0.1:5672// \
        --keep postgresql+psycopg://postgres@127.0.0.1:5432/bench_reporting_1m [--events 20000] [--repeat 30] \
        [--only projection,dashboards,reports,exports] [--section-seconds 240] [--json out.json]

projection: `--events` mixed events (leads created, claimed, followed up, converted; customers; opportunities
opened, moved, closed; payments; tickets opened and replied) are published to a scratch exchange whose two
queues both get every message. The raw baseline drains one queue with kombu (consume + an ack per message,
nothing else, prefetch 50); then one real worker process (`python -m reporting.worker`: EventConsumer
taking what arrives together, up to CONSUMER_BATCH_SIZE messages, in one transaction: inbox marks, archive
and projections set-based, in a thread of its own while the next batch is read; one ack per batch) drains
the other into a scratch database. Its rate is taken from the inbox's first and last `processed_at`.
In the same process: `EventConsumer.handle` alone without the broker (a transaction per event),
`EventConsumer.handle_many` in batches of CONSUMER_BATCH_SIZE without the broker (the worker's path), a bare
INSERT + COMMIT per event into a logged table (the floor of a transaction per event), the statements
each path sends per event, and a cProfile of `handle_many`.

dashboards, reports, exports: a database of 1,000,000 leads over two years, 200 reps in 20 teams, and in
proportion about 140,000 customers, 184,000 opportunities, 54,000 orders and contracts, 162,000
installments, 120,000 payments, invoices, refunds, 50,000 expenses, 16,500 targets, 212,000 tickets,
1,900,000 follow-ups and 1,700,000 pool moves (each lead's fate is drawn at random, so the counts are
approximate), and an event archive of 10,000,000 rows (compact JSON payloads; for the database's size, the dashboards do not read it), loaded
with COPY (the archive in one stream, beside the fact tables in a second process), indexes and keys
built after the load, then ANALYZE. `--keep` names a database to load once and reuse; without it the
database is dropped at the end. Then each dashboard through the Flask test client of the real app for
this_month and this_quarter as an admin (all), a sales manager (team) and a rep (own), `--repeat` times
after a warm-up, beside the very SQL each request sent replayed through psycopg, `SELECT 1`, a
primary-key lookup and `/health` of the same app; two custom reports through `report_service.compute`
beside hand-written SQL; and a 100,000-row list report exported to CSV and XLSX through
`report_service.export_report` beside `COPY (...) TO STDOUT`. Every section stops after
`--section-seconds` even if its repeats are not done, and says how many it ran.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import multiprocessing
import os
import pstats
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import ExitStack, nullcontext
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from kombu import Connection, Consumer, Producer, Queue, binding
from sqlalchemy import event
from sqlalchemy.engine import make_url

from crm_shared import testing
from crm_shared.auth import Identity
from crm_shared.bus.consumer import EventConsumer
from crm_shared.bus.topology import Topology
from crm_shared.db import make_engine, make_session_factory
from crm_shared.envelope import Envelope
from reporting import create_app, report_service, rollup_sql
from reporting.config import SERVICE, SERVICE_ROOT, reporting_time_zone
from reporting.handlers import HANDLERS
from reporting.report_query import compile_report
from reporting.scopes import Scope, scope_of
from reporting.uow import ReportingUnitOfWork
from reporting.worker import CONSUMER_BATCH_SIZE

RAW_PREFETCH = 50  # EventConsumer's default (a batching one lets the broker send 3 batches ahead)
TARGET_EVENTS_PER_SECOND = 5000
TARGET_DASHBOARD_MS = 100
TARGET_REPORT_MS = 1000
ZONE = "Asia/Shanghai"

# --- the people -------------------------------------------------------------------------------------

REPS = 200
TEAMS = 20
NOW = datetime.now(timezone.utc).replace(microsecond=0)
STARTED = NOW - timedelta(days=730)
SPAN_SECONDS = int((NOW - STARTED).total_seconds())


def ident(kind: int, n: int) -> str:
    """A UUID-shaped id, distinct per (kind, n), its first part scattered as a random id's would be."""
    return f"{(n * 2654435761 + kind * 40503) & 0xFFFFFFFF:08x}-{kind:04x}-4000-8000-{n:012x}"


def rep_id(number: int) -> str:
    return ident(1, number)


def team_id(number: int) -> str:
    return ident(2, number)


def manager_id(team: int) -> str:
    return ident(3, team)


def team_of(rep: int) -> int:
    return rep % TEAMS


CHANNELS = ("web", "fair", "referral", "ads", "cold_call", "wechat", "partner", "campaign")
CAMPAIGNS = (None, None, None, "2026春季展会", "618促销", "Canton Fair 2026", "webinar-q3", "双十一", "2025-expo")
REGIONS = ("华东", "华北", "华南", "华中", "西南", "西北", "东北", "海外")
INDUSTRIES = ("software", "retail", "manufacturing", "finance", "education", "healthcare", "logistics", "energy")
STAGES = ("qualification", "needs_analysis", "proposal", "negotiation")
POOLS = ("00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002",
         "00000000-0000-4000-8000-0000000000a1")
REASONS = ("not reachable", "no budget", "wrong contact", "no follow-up in 7 days", "duplicate")
COMPANIES = ("上海锦佳信息技术有限公司", "北京华信科技有限公司", "Northwind Trading Ltd", "深圳恒泰电子有限公司",
             "Pacific Foods Inc.", "杭州博瑞网络科技有限公司", "Summit Logistics LLC", "成都嘉禾实业有限公司")


def stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


# --- 1. projection throughput ---------------------------------------------------------------------

class EventMix:
    """Lifecycles of leads, deals and tickets, as the other services publish them, from the contract examples."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.templates: dict[str, dict] = {}
        self.serial = seed * 10_000_000

    def envelope(self, name: str, occurred: datetime, actor: str, /, **payload) -> Envelope:
        if name not in self.templates:
            self.templates[name] = testing.contract(name).to_dict()
        data = dict(self.templates[name])
        data.update(id=str(uuid.UUID(int=self.rng.getrandbits(128), version=4)), occurred_at=stamp(occurred), actor=actor,
                    correlation_id=str(uuid.UUID(int=self.rng.getrandbits(128), version=4)))
        data["payload"] = {**data["payload"], **payload}
        return Envelope.from_dict(data)

    def next_id(self, kind: int) -> str:
        self.serial += 1
        return ident(kind, self.serial)

    def events(self, count: int) -> list[Envelope]:
        out: list[Envelope] = []
        rng = self.rng
        while len(out) < count:
            at = NOW - timedelta(seconds=rng.randrange(30 * 86400))
            rep = rep_id(rng.randrange(REPS))
            lead = self.next_id(10)
            describing = {"channel": rng.choice(CHANNELS), "region": rng.choice(REGIONS),
                          "industry": rng.choice(INDUSTRIES), "campaign": rng.choice(CAMPAIGNS)}
            out.append(self.envelope("leads.lead.created.v1", at, rep, lead_id=lead, company=rng.choice(COMPANIES),
                                     created_at=stamp(at), pool_id=POOLS[0], **describing))
            if rng.random() < 0.6:
                at += timedelta(hours=rng.randrange(1, 48))
                out.append(self.envelope("leads.lead.claimed.v1", at, rep, lead_id=lead, owner_id=rep,
                                         claimed_at=stamp(at), customer_id=None, **describing))
                for _ in range(rng.choice((0, 1, 2, 3))):
                    at += timedelta(hours=rng.randrange(1, 72))
                    out.append(self.envelope("leads.follow_up.logged.v1", at, rep, follow_up_id=self.next_id(11),
                                             lead_id=lead, owner_id=rep, logged_at=stamp(at)))
                if rng.random() < 0.25:
                    out.extend(self.deal(lead, rep, at, describing))
        return out[:count]

    def deal(self, lead: str, rep: str, at: datetime, describing: dict) -> list[Envelope]:
        rng = self.rng
        customer, deal = self.next_id(12), self.next_id(13)
        amount = f"{rng.randrange(5, 500) * 1000}.00"
        deal_fields = {"opportunity_id": deal, "customer_id": customer, "lead_id": lead, "owner_id": rep, "amount": amount}
        out = [
            self.envelope("leads.lead.converted.v1", at, rep, lead_id=lead, owner_id=rep, converted_at=stamp(at), **describing),
            self.envelope("sales.customer.created.v1", at, rep, customer_id=customer, lead_id=lead, owner_id=rep,
                          channel=describing["channel"], created_at=stamp(at)),
            self.envelope("sales.opportunity.opened.v1", at, rep, opened_at=stamp(at), stage=STAGES[0], **deal_fields),
        ]
        for stage in STAGES[1:rng.randrange(2, 5)]:
            at += timedelta(days=rng.randrange(1, 10))
            out.append(self.envelope("sales.opportunity.stage_changed.v1", at, rep, stage=stage, changed_at=stamp(at),
                                     win_probability=rng.choice((20, 40, 60, 80)), **deal_fields))
        if rng.random() < 0.6:
            at += timedelta(days=rng.randrange(1, 10))
            won = rng.random() < 0.5
            out.append(self.envelope("sales.opportunity.closed.v1", at, rep, outcome="won" if won else "lost",
                                     closed_at=stamp(at), **deal_fields))
            if won:
                contract = self.next_id(14)
                for number in range(1, rng.randrange(2, 4)):
                    at += timedelta(days=rng.randrange(1, 30))
                    out.append(self.envelope(
                        "sales.payment.received.v1", at, rep, payment_id=self.next_id(15), contract_id=contract,
                        customer_id=customer, amount="10000.00", received_on=at.date().isoformat(), at=stamp(at),
                        installments=[{"installment_id": ident(16, hash((contract, number)) & 0xFFFFFFFF),
                                       "number": number, "amount": "10000.00"}]))
        if rng.random() < 0.5:
            ticket = self.next_id(17)
            at += timedelta(days=rng.randrange(1, 30))
            out.append(self.envelope("service_desk.ticket.opened.v1", at, rep, ticket_id=ticket, customer_id=customer,
                                     customer_owner_id=rep, opened_at=stamp(at)))
            for _ in range(rng.randrange(1, 3)):
                at += timedelta(hours=rng.randrange(1, 24))
                out.append(self.envelope("service_desk.ticket.replied.v1", at, rep, ticket_id=ticket,
                                         customer_id=customer, customer_owner_id=rep, replied_at=stamp(at)))
        return out


def projection_throughput(amqp: str, count: int, handle_count: int, tmp: Path, seconds: float) -> dict:
    results: dict = {}
    with testing.scratch_database(SERVICE, tmp, backend="postgresql") as url:
        testing.migrate(testing.service_settings(SERVICE, tmp, url), SERVICE_ROOT)
        published = EventMix(seed=1).events(count)
        names = Counter(envelope.name for envelope in published)
        print(f"  {count:,} events, {len(names)} kinds: "
              + ", ".join(f"{name.split('.', 1)[1]} {n:,}" for name, n in names.most_common()))
        results["mix"] = names
        topology = Topology(exchange_name=f"bench-reporting-{uuid.uuid4().hex[:8]}")
        worker_queue = topology.consumer_queue(SERVICE, HANDLERS)
        raw_queue = Queue(f"{topology.exchange_name}.raw", [binding(topology.exchange, routing_key=name) for name in HANDLERS],
                          durable=True)
        with Connection(amqp) as connection:
            topology.declare(connection, [worker_queue, raw_queue])
            producer = Producer(connection.channel())
            started = time.perf_counter()
            for envelope in published:
                producer.publish(envelope.to_json(), exchange=topology.exchange, routing_key=envelope.name,
                                 **envelope.amqp_properties())
            results["publish_per_s"] = count / (time.perf_counter() - started)
            results["raw_per_s"] = _raw_consume(connection, raw_queue, count, seconds)
            print(f"  published {results['publish_per_s']:,.0f}/s; raw consume + ack {results['raw_per_s']:,.0f}/s")
            try:
                results.update(_worker_consume(url, amqp, topology, count, tmp, seconds))
            finally:
                # A connection of its own: the first one sat idle while the worker ran, and the broker may have dropped it.
                with Connection(amqp) as cleanup:
                    channel = cleanup.channel()
                    for queue in (worker_queue, raw_queue, topology.dead_letter_queue):
                        queue(channel).delete()
                    for exchange in (topology.exchange, topology.dead_letter_exchange):
                        exchange(channel).delete()
        results.update(_handle_alone(url, handle_count))
    return results


def _raw_consume(connection: Connection, queue: Queue, count: int, seconds: float) -> float:
    received = [0]

    def on_message(message) -> None:
        message.ack()
        received[0] += 1

    channel = connection.channel()
    consumer = Consumer(channel, [queue], on_message=on_message, prefetch_count=RAW_PREFETCH, accept=["application/json"])
    deadline = time.monotonic() + seconds
    started = time.perf_counter()
    with consumer:
        while received[0] < count and time.monotonic() < deadline:
            try:
                connection.drain_events(timeout=1)
            except TimeoutError:
                pass
    elapsed = time.perf_counter() - started
    channel.close()
    return received[0] / elapsed


def _worker_consume(url: str, amqp: str, topology: Topology, count: int, tmp: Path, seconds: float) -> dict:
    env = {**os.environ, "CRM_DATA_DIR": str(tmp), "CRM_REPORTING_DATABASE_URL": url, "CRM_BUS_URL": amqp,
           "CRM_BUS_EXCHANGE": topology.exchange_name, "CRM_BUS_QUEUE_PREFIX": topology.queue_prefix}
    log_path = tmp / "reporting-worker.log"
    dsn = psycopg_dsn(url)
    started = time.perf_counter()
    with open(log_path, "wb") as log, psycopg.connect(dsn, autocommit=True) as db:
        worker = subprocess.Popen([sys.executable, "-m", "reporting.worker"], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            done, deadline = 0, time.monotonic() + seconds
            while done < count and time.monotonic() < deadline and worker.poll() is None:
                time.sleep(0.5)
                done = db.execute("SELECT count(*) FROM inbox WHERE consumer = %s", (SERVICE,)).fetchone()[0]
            wall = time.perf_counter() - started
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        first, last, handled = db.execute(
            "SELECT min(processed_at), max(processed_at), count(*) FROM inbox WHERE consumer = %s", (SERVICE,)).fetchone()
        archived = db.execute("SELECT count(*) FROM event_archive").fetchone()[0]
    span = (last - first).total_seconds() if handled > 1 else float("nan")
    rate = (handled - 1) / span if handled > 1 and span > 0 else float("nan")
    print(f"  one worker: {handled:,} of {count:,} handled ({archived:,} archived), {rate:,.0f} events/s "
          f"(inbox first to last), {wall:.1f} s from start incl. start-up; log {log_path.name}")
    if handled < count:
        print("  the worker did not finish within --section-seconds; its log ends:")
        print("    " + "\n    ".join(log_path.read_text(errors="replace").splitlines()[-8:]))
    return {"worker_per_s": rate, "worker_handled": handled, "worker_wall_s": wall}


def _handle_alone(url: str, count: int) -> dict:
    """The consumer's paths in this process, without the broker; then the floor and where the time goes."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    consumer = EventConsumer(None, Topology("bench-unused"), f"{SERVICE}-bench", HANDLERS, lambda: ReportingUnitOfWork(sessions))
    results = {}
    events = EventMix(seed=2).events(count)
    started = time.perf_counter()
    for envelope in events:
        consumer.handle(envelope, HANDLERS[envelope.name])
    elapsed = time.perf_counter() - started
    results["handle_per_s"] = count / elapsed
    results["handle_ms"] = elapsed / count * 1000

    # The worker's path: a delivered batch in one transaction, archived, marked and projected set-based.
    events = EventMix(seed=3).events(count)
    started = time.perf_counter()
    for first in range(0, count, CONSUMER_BATCH_SIZE):
        consumer.handle_many([(envelope, HANDLERS[envelope.name]) for envelope in events[first:first + CONSUMER_BATCH_SIZE]])
    elapsed = time.perf_counter() - started
    results["handle_many_per_s"] = count / elapsed
    results["handle_many_ms"] = elapsed / count * 1000

    # The same path with the database's triggers off: what keeping the dashboards' roll-ups and derived
    # columns costs (rollup_sql.py). Measured second, on a database that the runs above made larger.
    events = EventMix(seed=5).events(count)
    with psycopg.connect(psycopg_dsn(url), autocommit=True) as raw:
        triggered = [table for (table,) in raw.execute(
            "SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal").fetchall()]
        for table in triggered:
            raw.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        try:
            started = time.perf_counter()
            for first in range(0, count, CONSUMER_BATCH_SIZE):
                consumer.handle_many([(envelope, HANDLERS[envelope.name])
                                      for envelope in events[first:first + CONSUMER_BATCH_SIZE]])
            results["handle_many_without_triggers_per_s"] = count / (time.perf_counter() - started)
        finally:
            for table in triggered:
                raw.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")

    # The floor of one transaction per event: a bare single-row INSERT and COMMIT through psycopg.
    with psycopg.connect(psycopg_dsn(url)) as raw:
        raw.execute("CREATE TABLE bench_floor (id text PRIMARY KEY, body jsonb)")  # logged, as the real tables: COMMIT waits for the WAL flush
        raw.commit()
        body = events[0].to_json()
        started = time.perf_counter()
        for n in range(count):
            raw.execute("INSERT INTO bench_floor VALUES (%s, %s)", (str(n), body))
            raw.commit()
        results["commit_floor_per_s"] = count / (time.perf_counter() - started)

    # Statements per event on both paths, and a profile of the batch path.
    statements = Counter()
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_: statements.update([statement.split(None, 1)[0].upper()]))
    events = EventMix(seed=4).events(min(count, 2000))
    for envelope in events[:500]:
        consumer.handle(envelope, HANDLERS[envelope.name])
    results["statements_per_event_alone"] = {kind: n / 500 for kind, n in statements.items()}
    statements.clear()
    profiler = cProfile.Profile()
    profiler.enable()
    for first in range(500, len(events), CONSUMER_BATCH_SIZE):
        consumer.handle_many([(envelope, HANDLERS[envelope.name]) for envelope in events[first:first + CONSUMER_BATCH_SIZE]])
    profiler.disable()
    engine.dispose()
    results["statements_per_event"] = {kind: n / (len(events) - 500) for kind, n in statements.items()}
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(30)
    results["profile"] = text.getvalue()
    print(f"  handle() alone: {results['handle_per_s']:,.0f} events/s ({results['handle_ms']:.2f} ms each); "
          f"handle_many(), {CONSUMER_BATCH_SIZE} per transaction: {results['handle_many_per_s']:,.0f}/s "
          f"({results['handle_many_ms']:.3f} ms each); bare INSERT + COMMIT: {results['commit_floor_per_s']:,.0f}/s")
    return results


# --- 2. the big database ---------------------------------------------------------------------------

LEADS = 1_000_000
ARCHIVE_ROWS = 10_000_000
ARCHIVE_NAMES = (  # (event name, share of the archive)
    ("leads.lead.created.v1", 10), ("leads.lead.claimed.v1", 6), ("leads.follow_up.logged.v1", 20),
    ("leads.lead.returned.v1", 2), ("leads.lead.recycled.v1", 2), ("leads.lead.converted.v1", 2),
    ("sales.customer.created.v1", 2), ("sales.customer.updated.v1", 4), ("sales.follow_up.recorded.v1", 4),
    ("sales.opportunity.opened.v1", 2), ("sales.opportunity.stage_changed.v1", 6), ("sales.opportunity.updated.v1", 4),
    ("sales.opportunity.closed.v1", 2), ("sales.payment.received.v1", 2), ("sales.contract.signed.v1", 1),
    ("service_desk.ticket.opened.v1", 4), ("service_desk.ticket.replied.v1", 12), ("service_desk.ticket.status_changed.v1", 8),
    ("service_desk.ticket.closed.v1", 3), ("gateway.user.changed.v1", 1),
)


def psycopg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _archive_part(job: tuple[str, int]) -> str:
    """The event archive in one COPY stream: compact payloads of the kind each event carries."""
    dsn, rows = job
    rng = random.Random(99)
    names = [name for name, share in ARCHIVE_NAMES for _ in range(share)]
    started = time.perf_counter()
    base = STARTED.timestamp()
    step = SPAN_SECONDS / rows
    with psycopg.connect(dsn) as connection, connection.cursor() as cursor:
        with cursor.copy("COPY event_archive (event_id, name, occurred_at, producer, actor, correlation_id, "
                         "causation_id, payload, received_at) FROM STDIN") as copy:
            lines = []
            for n in range(rows):
                name = names[n % len(names)]
                moment = datetime.fromtimestamp(base + n * step, timezone.utc).isoformat()
                rep = rep_id(n % REPS)
                subject = ident(20, n // 7)
                payload = (f'{{"id":"{subject}","owner_id":"{rep}","channel":"{CHANNELS[n % 8]}",'
                           f'"region":"{REGIONS[n % 8]}","amount":"{(n % 97) * 1000}.00","at":"{moment}"}}')
                lines.append(f"{ident(21, n)}\t{name}\t{moment}\t{name.split('.', 1)[0]}\t{rep}\t{ident(22, n // 3)}\t"
                             f"\\N\t{payload}\t{moment}\n")
                if len(lines) == 20_000:
                    copy.write("".join(lines))
                    lines.clear()
            copy.write("".join(lines))
        connection.commit()
    return f"event_archive: {rows:,} rows in {time.perf_counter() - started:.0f} s"


class Copies:
    """One COPY stream per table, each on its own connection, open together so related rows are made together."""

    COLUMNS = {
        "fact_leads": ("lead_id", "company", "channel", "campaign", "region", "industry", "pool_id", "status", "owner_id",
                       "customer_id", "created_at", "claimed_at", "first_follow_up_at", "converted_at", "left_at",
                       "follow_ups", "state_at"),
        "fact_pool_moves": ("event_id", "lead_id", "pool_id", "direction", "kind", "reason", "rule", "channel",
                            "owner_id", "at"),
        "fact_follow_ups": ("follow_up_id", "subject", "lead_id", "customer_id", "opportunity_id", "owner_id", "kind", "at"),
        "fact_customers": ("customer_id", "lead_id", "name", "owner_id", "channel", "level", "region", "industry",
                           "created_at", "state_at", "owner_at"),
        "fact_opportunities": ("opportunity_id", "customer_id", "lead_id", "name", "stage", "status", "amount",
                               "win_probability", "probability_at", "owner_id", "expected_close_date", "close_date_at",
                               "opened_at", "closed_at", "state_at"),
        "fact_orders": ("order_id", "opportunity_id", "customer_id", "owner_id", "status", "subtotal", "discount", "tax",
                        "total", "placed_at", "state_at"),
        "fact_contracts": ("contract_id", "order_id", "customer_id", "owner_id", "title", "status", "amount", "start_date",
                           "end_date", "drafted_at", "signed_at", "state_at"),
        "fact_installments": ("installment_id", "contract_id", "customer_id", "number", "planned_amount", "planned_date",
                              "plan_at", "paid_amount", "status", "state_at"),
        "fact_payments": ("payment_id", "contract_id", "customer_id", "amount", "method", "received_on", "at"),
        "fact_invoices": ("invoice_id", "contract_id", "customer_id", "kind", "status", "amount", "tax_rate",
                          "requested_at", "issued_on", "state_at"),
        "fact_refunds": ("refund_id", "contract_id", "customer_id", "amount", "reason", "status", "requested_at",
                         "completed_at", "state_at"),
        "fact_tickets": ("ticket_id", "customer_id", "owner_id", "owner_at", "subject", "channel", "priority", "status",
                         "assignee_id", "opened_at", "first_response_at", "resolved_at", "closed_at", "reopened",
                         "sla_breaches", "rating", "state_at"),
    }

    def __init__(self, dsn: str, tables):
        self.connections = {table: psycopg.connect(dsn) for table in tables}
        self.streams = ExitStack()
        self.copies = {
            table: self.streams.enter_context(
                connection.cursor().copy(f"COPY {table} ({', '.join(self.COLUMNS[table])}) FROM STDIN"))
            for table, connection in self.connections.items()
        }
        self.counts = Counter()

    def write(self, table: str, row: tuple) -> None:
        self.copies[table].write_row(row)
        self.counts[table] += 1

    def close(self) -> None:
        self.streams.close()
        for connection in self.connections.values():
            connection.commit()
            connection.close()


def _capped(moment: datetime) -> datetime | None:
    return moment if moment <= NOW else None


def _facts_part(job: tuple[str, int]) -> str:
    """Every fact table but the archive: leads, and what became of them, made lead by lead so they agree."""
    dsn, leads = job
    rng = random.Random(7)
    started = time.perf_counter()
    copies = Copies(dsn, [name for name in Copies.COLUMNS])
    follow_up = ticket = deal = contract_number = 0
    hour = timedelta(hours=1)
    for n in range(leads):
        lead = ident(30, n)
        created = STARTED + timedelta(seconds=SPAN_SECONDS * n // leads + rng.randrange(-43200, 43200))
        created = min(created, NOW)
        channel, campaign = CHANNELS[rng.randrange(8)], CAMPAIGNS[rng.randrange(len(CAMPAIGNS))]
        region, industry = REGIONS[rng.randrange(8)], INDUSTRIES[rng.randrange(8)]
        roll = rng.random()
        pool = POOLS[n % 3]
        rep = rng.randrange(REPS)
        owner = rep_id(rep)
        copies.write("fact_pool_moves", (ident(31, n), lead, pool, "in", "created", None, None, channel, None, created))
        claimed = converted = left = first_follow_up = customer = None
        count = 0
        status = "pool"
        if roll >= 0.35:
            claimed = _capped(created + hour * rng.randrange(1, 400))
        if claimed:
            copies.write("fact_pool_moves", (ident(32, n), lead, None, "out", rng.choice(("claimed", "claimed", "distributed")),
                                             None, None, channel, owner, claimed))
            status = "claimed"
            for _ in range(rng.choice((1, 2, 3, 3, 4))):
                at = _capped(claimed + hour * rng.randrange(1, 900))
                if at is None:
                    continue
                follow_up += 1
                count += 1
                first_follow_up = min(first_follow_up or at, at)
                copies.write("fact_follow_ups", (ident(33, follow_up), "lead", lead, None, None, owner,
                                                 rng.choice(("call", "visit", "wechat", "email")), at))
            if roll < 0.45:
                left = _capped(claimed + hour * rng.randrange(100, 2000))
                if left:
                    kind = "returned" if roll < 0.40 else "recycled"
                    status = kind
                    copies.write("fact_pool_moves", (ident(34, n), lead, POOLS[1], "in", kind, rng.choice(REASONS),
                                                     "7-day rule" if kind == "recycled" else None, channel, owner, left))
            elif roll > 0.85:
                converted = _capped(claimed + hour * rng.randrange(24, 2000))
        if converted:
            status = "converted"
            customer = ident(35, n)
            copies.write("fact_customers", (customer, lead, COMPANIES[n % 8], owner, channel, rng.choice(("A", "B", "C")),
                                            region, industry, converted, converted, converted))
            for _ in range(rng.choice((1, 2, 3, 3))):
                at = _capped(converted + hour * rng.randrange(1, 2000))
                if at:
                    follow_up += 1
                    copies.write("fact_follow_ups", (ident(33, follow_up), "customer", None, customer, None, owner,
                                                     "visit", at))
            for _ in range(rng.choice((1, 1, 2))):
                deal += 1
                _deal(copies, rng, deal, customer, lead, owner, converted)
            for _ in range(rng.choice((0, 1, 2, 3, 4))):
                ticket += 1
                _ticket(copies, rng, ticket, customer, owner, converted)
        copies.write("fact_leads", (lead, COMPANIES[n % 8], channel, campaign, region, industry,
                                    pool if status in ("pool", "returned", "recycled") else None, status,
                                    owner if status in ("claimed", "converted") else None, customer, created, claimed,
                                    first_follow_up, converted, left, count, created))
    copies.close()
    return f"facts: {', '.join(f'{t} {c:,}' for t, c in copies.counts.items())} in {time.perf_counter() - started:.0f} s"


def _deal(copies: Copies, rng: random.Random, n: int, customer: str, lead: str, owner: str, since: datetime) -> None:
    opened = _capped(since + timedelta(hours=rng.randrange(1, 500)))
    if opened is None:
        return
    amount = Decimal(rng.randrange(5, 500) * 1000)
    closed = _capped(opened + timedelta(days=rng.randrange(5, 120))) if rng.random() < 0.65 else None
    status = ("won" if rng.random() < 0.5 else "lost") if closed else "open"
    deal = ident(40, n)
    copies.write("fact_opportunities", (deal, customer, lead, f"Deal {n}", rng.choice(STAGES), status, amount,
                                        rng.choice((20, 40, 60, 80)), opened, owner,
                                        (opened + timedelta(days=90)).date(), opened, opened, closed, closed or opened))
    if status != "won":
        return
    order, contract = ident(41, n), ident(42, n)
    copies.write("fact_orders", (order, deal, customer, owner, "placed", amount, Decimal(0), amount * Decimal("0.13"),
                                 amount * Decimal("1.13"), closed, closed))
    signed = closed + timedelta(days=rng.randrange(1, 10))
    copies.write("fact_contracts", (contract, order, customer, owner, f"Contract {n}", "active", amount, signed.date(),
                                    (signed + timedelta(days=365)).date(), closed, _capped(signed), closed))
    share = (amount / 3).quantize(Decimal("0.01"))
    for number in range(1, 4):
        due = (signed + timedelta(days=30 * (number - 1))).date()
        paid = share if due < NOW.date() and rng.random() < 0.8 else Decimal(0)
        installment = ident(43, n * 4 + number)
        copies.write("fact_installments", (installment, contract, customer, number, share, due, signed, paid,
                                           "planned", signed))
        if paid:
            received = datetime.combine(due, datetime.min.time(), timezone.utc) + timedelta(days=rng.randrange(0, 20))
            if received <= NOW:
                copies.write("fact_payments", (ident(44, n * 4 + number), contract, customer, paid,
                                               rng.choice(("bank_transfer", "alipay", "wechat_pay")), received.date(), received))
    issued = _capped(signed + timedelta(days=rng.randrange(1, 30)))
    copies.write("fact_invoices", (ident(45, n), contract, customer, "vat_special", "issued" if issued else "requested",
                                   amount, Decimal("0.13"), signed, issued.date() if issued else None, signed))
    if rng.random() < 0.03:
        done = _capped(signed + timedelta(days=rng.randrange(10, 60)))
        copies.write("fact_refunds", (ident(46, n), contract, customer, share, "quality issue",
                                      "completed" if done else "requested", signed, done, done or signed))


def _ticket(copies: Copies, rng: random.Random, n: int, customer: str, owner: str, since: datetime) -> None:
    opened = _capped(since + timedelta(hours=rng.randrange(1, 8000)))
    if opened is None:
        return
    responded = _capped(opened + timedelta(minutes=rng.randrange(5, 2000)))
    resolved = _capped(opened + timedelta(hours=rng.randrange(1, 200))) if rng.random() < 0.85 else None
    copies.write("fact_tickets", (ident(50, n), customer, owner, opened, f"Ticket {n}", rng.choice(("web", "phone", "email")),
                                  rng.choice(("low", "normal", "high", "urgent")), "closed" if resolved else "open",
                                  ident(51, n % 40), opened, responded, resolved, resolved, 0,
                                  1 if rng.random() < 0.1 else 0, rng.choice((None, None, 3, 4, 5)), resolved or opened))


def _directory(dsn: str) -> None:
    """Users and teams, as the gateway's user events leave them: reps, a manager per team, an admin."""
    with psycopg.connect(dsn) as connection, connection.cursor() as cursor:
        with cursor.copy("COPY directory_users (user_id, username, display_name, roles, active, changed_at) FROM STDIN") as copy:
            for rep in range(REPS):
                copy.write_row((rep_id(rep), f"rep{rep:03d}", f"销售{rep:03d}", '["sales_rep"]', True, STARTED))
            for team in range(TEAMS):
                copy.write_row((manager_id(team), f"manager{team:02d}", f"经理{team:02d}", '["sales_manager"]', True, STARTED))
            copy.write_row((ident(4, 0), "admin", "Admin", '["admin"]', True, STARTED))
        with cursor.copy("COPY directory_user_teams (user_id, team_id) FROM STDIN") as copy:
            for rep in range(REPS):
                copy.write_row((rep_id(rep), team_id(team_of(rep))))
            for team in range(TEAMS):
                copy.write_row((manager_id(team), team_id(team)))
        with cursor.copy("COPY directory_team_names (team_id, name) FROM STDIN") as copy:
            for team in range(TEAMS):
                copy.write_row((team_id(team), f"Team {team + 1:02d}"))
        with cursor.copy("COPY fact_targets (target_id, subject_kind, subject_id, period, period_start, period_end, "
                         "metric, value, state_at) FROM STDIN") as copy:
            n = 0
            for month in range(25):
                first = date(STARTED.year + (STARTED.month - 1 + month) // 12, (STARTED.month - 1 + month) % 12 + 1, 1)
                after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
                for metric, value in (("won_amount", 300000), ("payments", 200000), ("new_customers", 6)):
                    for rep in range(REPS):
                        n += 1
                        copy.write_row((ident(60, n), "rep", rep_id(rep), "month", first, after, metric, value, STARTED))
                    for team in range(TEAMS):
                        n += 1
                        copy.write_row((ident(60, n), "team", team_id(team), "month", first, after, metric, value * 10, STARTED))
        with cursor.copy("COPY fact_expenses (expense_id, owner_id, customer_id, category, amount, status, spent_on, "
                         "state_at) FROM STDIN") as copy:
            rng = random.Random(5)
            for n in range(50_000):
                spent = STARTED + timedelta(seconds=SPAN_SECONDS * n // 50_000)
                copy.write_row((ident(61, n), rep_id(rng.randrange(REPS)), None, rng.choice(("travel", "meals", "gifts")),
                                Decimal(rng.randrange(50, 5000)), rng.choice(("approved", "approved", "recorded")),
                                spent.date(), spent))
        connection.commit()


LOADED_TABLES = ("event_archive", *Copies.COLUMNS, "fact_targets", "fact_expenses")


def load(url: str, leads: int, archive_rows: int) -> None:
    dsn = psycopg_dsn(url)
    started = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as connection:
        # Keys and indexes are built once after the load: several times faster than keeping them up row by row.
        keys = connection.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'p' AND conrelid::regclass::text = ANY(%s)", (list(LOADED_TABLES),)).fetchall()
        indexes = connection.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE contype = 'p')", (list(LOADED_TABLES),)).fetchall()
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        for table, name, _ in keys:
            connection.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        # The roll-ups are filled once after the load, as the migration fills them over existing facts:
        # COPY streams of related tables commit apart, so the triggers could not derive across them.
        for table in LOADED_TABLES:
            connection.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    _directory(dsn)
    with multiprocessing.get_context("fork").Pool(2) as workers:
        jobs = [workers.apply_async(_archive_part, ((dsn, archive_rows),)), workers.apply_async(_facts_part, ((dsn, leads),))]
        for job in jobs:
            print(f"  {job.get()}")
    print(f"  loaded in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("SET maintenance_work_mem = '1GB'")
        for table, name, definition in keys:
            connection.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for _, definition in indexes:
            connection.execute(definition)
        for table in LOADED_TABLES:
            connection.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        connection.execute("ANALYZE")
    filling = time.perf_counter()
    engine = make_engine(url)
    with engine.begin() as connection:
        rollup_sql.refill(connection, reporting_time_zone().key)
    engine.dispose()
    filled = time.perf_counter() - filling
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")  # the refill leaves dead rows; fresh statistics for the roll-ups
        size = connection.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
    print(f"  dashboard roll-ups filled from the facts (rollup_sql.refill, as the migration does) in {filled:.0f} s")
    print(f"  {len(keys)} primary keys, {len(indexes)} indexes and ANALYZE in {time.perf_counter() - started:.0f} s; "
          f"database {size}")


# --- measuring --------------------------------------------------------------------------------------

def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def p50_p95(values: list[float]) -> str:
    return f"{percentile(values, .5):8.1f} {percentile(values, .95):8.1f}"


def timed(function, repeat: int, budget: float) -> list[float]:
    """Milliseconds of `repeat` calls after one warm-up, stopping early when `budget` seconds are spent."""
    function()
    times = []
    deadline = time.monotonic() + budget
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
        if time.monotonic() > deadline:
            break
    return times


class CaughtSql:
    """Every statement the app sends, so the same SQL can be sent again raw."""

    def __init__(self, engine):
        self.statements: list[tuple[str, object]] = []
        event.listen(engine, "before_cursor_execute", self._catch)

    def _catch(self, _connection, _cursor, statement, parameters, _context, _executemany):
        self.statements.append((statement, parameters))

    def take(self) -> list[tuple[str, object]]:
        statements, self.statements = self.statements, []
        return statements


def dashboards(url: str, tmp: Path, repeat: int, seconds: float) -> dict:
    settings = testing.service_settings(SERVICE, tmp, url)
    app = create_app(settings)
    caught = CaughtSql(app.extensions["crm.engine"])
    tokens = testing.Tokens(settings)
    client = app.test_client()
    viewers = {
        "all": tokens.headers(ident(4, 0), ["admin"], "admin"),
        "team": tokens.headers(manager_id(0), ["sales_manager"], "manager00", teams=[team_id(0)]),
        "own": tokens.headers(rep_id(0), ["sales_rep"], "rep000", teams=[team_id(0)]),
    }
    budget = seconds / 30  # 5 dashboards x 2 periods x 3 scopes
    print(f"\n{'dashboard':12} {'period':13} {'scope':5} {'n':>3} {'p50 ms':>8} {'p95 ms':>8}   "
          f"{'SQL p50':>8} {'SQL p95':>8} {'stmts':>5}")
    worst, rows = [], []
    with psycopg.connect(psycopg_dsn(url)) as raw:
        for name in ("acquisition", "sales", "service", "pool", "executive"):
            for period in ("this_month", "this_quarter"):
                for level in ("all", "team", "own"):
                    who = level
                    path = f"/api/v1/dashboards/{name}?period={period}"
                    if name == "executive" and level == "own":
                        who, path = "team", path + "&scope=own"  # a rep may not open it; a manager narrows to their own
                    replay: list = []

                    def request() -> None:
                        caught.take()
                        response = client.get(path, headers=viewers[who])
                        assert response.status_code == 200, (path, response.status_code, response.json)
                        replay[:] = caught.take()

                    app_ms = timed(request, repeat, budget)
                    statements = list(replay)

                    def replayed() -> None:
                        for statement, parameters in statements:
                            cursor = raw.execute(statement, parameters)
                            if cursor.description:
                                cursor.fetchall()
                        raw.rollback()

                    sql_ms = timed(replayed, len(app_ms), budget)
                    worst.append((percentile(app_ms, .95), name, period, level))
                    rows.append({"dashboard": name, "period": period, "scope": level, "n": len(app_ms),
                                 "p50_ms": percentile(app_ms, .5), "p95_ms": percentile(app_ms, .95),
                                 "sql_p50_ms": percentile(sql_ms, .5), "sql_p95_ms": percentile(sql_ms, .95),
                                 "statements": len(statements)})
                    flag = "  > target" if percentile(app_ms, .95) > TARGET_DASHBOARD_MS else ""
                    print(f"{name:12} {period:13} {level:5} {len(app_ms):3} {p50_p95(app_ms)}   {p50_p95(sql_ms)} "
                          f"{len(statements):5}{flag}")
        one = raw.execute("SELECT lead_id FROM fact_leads OFFSET (SELECT count(*) / 2 FROM fact_leads) LIMIT 1").fetchone()[0]
        select_one = timed(lambda: raw.execute("SELECT 1").fetchall(), 200, 10)
        lookup = timed(lambda: raw.execute("SELECT * FROM fact_leads WHERE lead_id = %s", (one,)).fetchall(), 200, 10)
        raw.rollback()
    health = timed(lambda: client.get("/health"), 200, 10)
    app.extensions["crm.engine"].dispose()
    print(f"baselines: SELECT 1 {p50_p95(select_one)} ms; primary-key lookup {p50_p95(lookup)} ms; "
          f"bare Flask /health {p50_p95(health)} ms (p50, p95)")
    return {"rows": rows, "target_ms": TARGET_DASHBOARD_MS,
            "select_one_p50_ms": percentile(select_one, .5), "lookup_p50_ms": percentile(lookup, .5),
            "health_p50_ms": percentile(health, .5)}


REPORTS = {
    "leads by channel x created month: count, count_distinct(owner_id)": (
        {"dataset": "leads", "dimensions": [{"field": "channel"}, {"field": "created_at", "bucket": "month"}],
         "measures": [{"key": "leads", "aggregate": "count"},
                      {"key": "owners", "aggregate": "count_distinct", "field": "owner_id"}]},
        "SELECT channel, to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month, count(*), "
        "count(DISTINCT owner_id) FROM fact_leads GROUP BY 1, 2 ORDER BY 1, 2",
    ),
    "opportunities by owner.name x team.name: sum(amount), count": (
        {"dataset": "opportunities", "dimensions": [{"field": "owner.name"}, {"field": "team.name"}],
         "measures": [{"key": "amount", "aggregate": "sum", "field": "amount"}, {"key": "deals", "aggregate": "count"}]},
        "SELECT u.display_name, n.name, sum(o.amount), count(*) FROM fact_opportunities o "
        "LEFT JOIN directory_users u ON u.user_id = o.owner_id "
        "LEFT JOIN directory_user_teams t ON t.user_id = o.owner_id "
        "LEFT JOIN directory_team_names n ON n.team_id = t.team_id GROUP BY 1, 2 ORDER BY 1, 2",
    ),
}


def reports(url: str, repeat: int, seconds: float) -> list[dict]:
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    scope = Scope(ident(4, 0), "all", frozenset())
    zone = ZoneInfo(ZONE)
    lines = []
    print(f"\n{'report (scope all)':66} {'n':>3} {'p50 ms':>8} {'p95 ms':>8}   {'SQL p50':>8} {'SQL p95':>8} {'rows':>6}")
    with psycopg.connect(psycopg_dsn(url)) as raw:
        for label, (definition, sql) in REPORTS.items():
            answer = {}

            def run() -> None:
                with ReportingUnitOfWork(sessions) as uow:
                    answer["result"] = report_service.compute(uow.session, definition, {"type": "table"}, scope, zone,
                                                              limit=10_000)

            app_ms = timed(run, repeat, seconds / len(REPORTS) / 2)
            sql_ms = timed(lambda: (raw.execute(sql).fetchall(), raw.rollback()), len(app_ms), seconds / len(REPORTS) / 2)
            rows = len(answer["result"]["rows"])
            flag = "  > target" if percentile(app_ms, .95) > TARGET_REPORT_MS else ""
            print(f"{label:66} {len(app_ms):3} {p50_p95(app_ms)}   {p50_p95(sql_ms)} {rows:6}{flag}")
            lines.append({"report": label, "n": len(app_ms), "p50_ms": percentile(app_ms, .5),
                          "p95_ms": percentile(app_ms, .95), "sql_p50_ms": percentile(sql_ms, .5),
                          "sql_p95_ms": percentile(sql_ms, .95), "rows": rows, "target_ms": TARGET_REPORT_MS})
    engine.dispose()
    return lines


EXPORT_ROWS = 100_000


def exports(url: str) -> dict:
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    uow_factory = lambda: ReportingUnitOfWork(sessions)  # noqa: E731
    admin = Identity(ident(4, 0), "admin", frozenset({"admin"}), frozenset())
    zone = reporting_time_zone()
    with psycopg.connect(psycopg_dsn(url)) as raw:
        # The creation time below which exactly EXPORT_ROWS leads were created: the report's filter.
        until = raw.execute("SELECT created_at FROM fact_leads ORDER BY created_at "
                            "OFFSET LEAST(%s, (SELECT count(*) - 1 FROM fact_leads)) LIMIT 1",
                            (EXPORT_ROWS,)).fetchone()[0]
    definition = {"dataset": "leads",
                  "dimensions": [{"field": "created_at"}, {"field": "lead_id"}, {"field": "company"}, {"field": "channel"},
                                 {"field": "campaign"}, {"field": "status"}, {"field": "owner.name"},
                                 {"field": "claimed_at"}, {"field": "follow_ups"}],
                  "filters": {"field": "created_at", "op": "lt", "value": stamp(until)}}
    saved = report_service.save_report(uow_factory, admin, {
        "name": "线索清单 bench", "description": "", "definition": definition, "layout": {"type": "table"},
        "shared_user_ids": [], "shared_team_ids": []}, zone)
    print(f"\n{'export of the list report':40} {'rows':>8} {'seconds':>8} {'MB':>7} {'MB/s':>7}")
    results = {}
    for fmt in ("csv", "xlsx"):
        started = time.perf_counter()
        download = report_service.export_report(uow_factory, admin, saved["report_id"], {}, fmt, zone)
        size = sum(len(chunk) for chunk in download.chunks)
        elapsed = time.perf_counter() - started
        results[fmt] = (size, elapsed)
    # The SQL the export runs, as COPY: the same rows, columns and order, formatted by PostgreSQL instead.
    with ReportingUnitOfWork(sessions) as uow:
        compiled = compile_report(definition, scope_of(admin), zone=zone)
        query = compiled.statement.compile(dialect=uow.session.get_bind().dialect, compile_kwargs={"literal_binds": True})
    with psycopg.connect(psycopg_dsn(url)) as raw, raw.cursor() as cursor:
        started = time.perf_counter()
        size = rows = 0
        with cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT csv, HEADER)") as copy:
            for block in copy:
                size += len(block)
        elapsed = time.perf_counter() - started
        rows = raw.execute(f"SELECT count(*) FROM ({query}) AS exported").fetchone()[0]
    for fmt, (size_bytes, seconds_taken) in results.items():
        print(f"{'report_service.export_report, ' + fmt:40} {rows:8,} {seconds_taken:8.2f} {size_bytes / 1e6:7.1f} "
              f"{size_bytes / 1e6 / seconds_taken:7.1f}   ({seconds_taken / elapsed:.0f}x COPY)")
    print(f"{'COPY (same query) TO STDOUT, csv':40} {rows:8,} {elapsed:8.2f} {size / 1e6:7.1f} {size / 1e6 / elapsed:7.1f}")
    report_service.delete_report(uow_factory, admin, saved["report_id"], saved["version"])
    engine.dispose()
    figures = {"rows": rows, "copy": {"seconds": elapsed, "bytes": size}}
    figures.update({fmt: {"seconds": seconds_taken, "bytes": size_bytes} for fmt, (size_bytes, seconds_taken) in results.items()})
    return figures


# --- the run ----------------------------------------------------------------------------------------

def _load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _create_if_missing(url: str) -> None:
    name = make_url(url).database
    admin = psycopg_dsn(make_url(url).set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def print_projection(results: dict) -> None:
    worker, raw = results.get("worker_per_s", float("nan")), results["raw_per_s"]
    print(f"\n{'projection path':62} {'events/s':>9} {'ratio to raw':>12}")
    rows = [
        ("raw: kombu consume + ack (prefetch 50), same messages", raw),
        ("one reporting worker: EventConsumer, inbox, archive, facts", worker),
        ("handle() alone, no broker, a commit per event", results["handle_per_s"]),
        (f"handle_many() alone, no broker, {CONSUMER_BATCH_SIZE} per transaction (the worker's path)",
         results["handle_many_per_s"]),
        ("the same with the roll-up triggers off", results["handle_many_without_triggers_per_s"]),
        ("floor: bare INSERT + COMMIT per event (psycopg, logged table)", results["commit_floor_per_s"]),
    ]
    for label, rate in rows:
        print(f"{label:62} {rate:9,.0f} {rate / raw:12.3f}")
    flag = "meets" if worker >= TARGET_EVENTS_PER_SECOND else "is below"
    print(f"one worker {flag} the target of {TARGET_EVENTS_PER_SECOND:,} events/s")
    for label, key in (("handle_many()", "statements_per_event"), ("handle()", "statements_per_event_alone")):
        print(f"statements per event, {label}: "
              + ", ".join(f"{k} {v:.2f}" for k, v in sorted(results[key].items())))
    print("\nprofile of handle_many():")
    print(results["profile"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--amqp", default=os.environ.get("CRM_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"))
    parser.add_argument("--keep", help="a database URL to load once (if its fact_leads is empty) and keep for later runs")
    parser.add_argument("--events", type=int, default=20_000, help="events through the worker")
    parser.add_argument("--handle-events", type=int, default=5_000, help="events through handle() alone")
    parser.add_argument("--leads", type=int, default=LEADS)
    parser.add_argument("--archive", type=int, default=ARCHIVE_ROWS)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--section-seconds", type=float, default=240, help="each section stops after this long")
    parser.add_argument("--only", default="projection,dashboards,reports,exports")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    figures: dict = {"loadavg_before": os.getloadavg()}
    only = set(args.only.split(","))
    os.environ["CRM_TEST_DATABASE_URL"] = args.server
    os.environ.setdefault("CRM_REPORTING_TIME_ZONE", ZONE)
    print(f"{os.cpu_count()} cores; load average at start: {_load_average()}")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        if "projection" in only:
            print(f"\n== projection throughput (load average {_load_average()})")
            results = projection_throughput(args.amqp, args.events, args.handle_events, tmp, args.section_seconds)
            print_projection(results)
            figures["projection"] = {key: value for key, value in results.items() if key != "profile"}
            print(f"load average after: {_load_average()}")
        if not only & {"dashboards", "reports", "exports"}:
            _write_json(args.json, figures)
            return
        scratch = nullcontext(args.keep) if args.keep else testing.scratch_database(SERVICE, tmp, backend="postgresql")
        with scratch as url:
            if args.keep:
                _create_if_missing(url)
            testing.migrate(testing.service_settings(SERVICE, tmp, url), SERVICE_ROOT)
            with psycopg.connect(psycopg_dsn(url)) as connection:
                present = connection.execute("SELECT count(*) FROM fact_leads").fetchone()[0]
            if present == 0:
                print(f"\n== loading {args.leads:,} leads and {args.archive:,} archived events (load average {_load_average()})")
                started = time.perf_counter()
                load(url, args.leads, args.archive)
                figures["load_seconds"] = time.perf_counter() - started
                with psycopg.connect(psycopg_dsn(url)) as connection:
                    present = connection.execute("SELECT count(*) FROM fact_leads").fetchone()[0]
            else:
                print(f"\nreusing {present:,} leads in {make_url(url).database}")
            if "dashboards" in only:
                print(f"\n== dashboards (load average {_load_average()})")
                figures["dashboards"] = dashboards(url, tmp, args.repeat, args.section_seconds)
            if "reports" in only:
                print(f"\n== custom reports (load average {_load_average()})")
                figures["reports"] = reports(url, args.repeat, args.section_seconds)
            if "exports" in only:
                print(f"\n== exports (load average {_load_average()})")
                figures["exports"] = exports(url)
            print(f"\nload average at the end: {_load_average()}")
            figures.update(fact_leads=present, loadavg_after=os.getloadavg())
    _write_json(args.json, figures)


def _write_json(path: str | None, figures: dict) -> None:
    if path:
        Path(path).write_text(json.dumps(figures, indent=2, ensure_ascii=False, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
