"""The set-based projection: a batch folded per row and written a statement per table leaves exactly what
applying its events one by one leaves, counts a duplicate once, and a poison event fails alone."""
from __future__ import annotations

import random
import re
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from kombu import Connection, Producer
from sqlalchemy import delete, event, func, select

from crm_shared.bus.consumer import EventConsumer
from crm_shared.bus.topology import Topology
from crm_shared.db import inbox
from crm_shared.envelope import Envelope, format_time
from crm_shared.testing import contract, contract_with, drain, poll
from reporting import projections
from reporting.config import SERVICE
from reporting.db import channel_stats, event_archive, fact_installments, fact_leads, fact_tickets
from reporting.handlers import HANDLERS
from reporting.projections.changes import Changes

START = datetime(2026, 11, 27, 8, tzinfo=timezone.utc)
READ_MODELS = [table for table in projections.PROJECTIONS for table in table.tables]
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Ids that each event must bring a new one of, or a few events share (insert-ignoring rows: first one wins).
PER_EVENT_IDS = {"follow_up_id", "payment_id", "message_id", "amendment_id", "approval_request_id"}


def snapshot(engine) -> dict[str, list]:
    """Every read-model row, the archive's event ids and the inbox's, in a comparable form."""
    with engine.connect() as connection:
        tables = {
            table.name: sorted(repr(sorted(dict(row).items())) for row in connection.execute(select(table)).mappings())
            for table in READ_MODELS
        }
        tables["event_archive"] = sorted(connection.execute(select(event_archive.c.event_id)).scalars())
        tables["inbox"] = sorted(connection.execute(select(inbox.c.event_id).where(inbox.c.consumer == SERVICE)).scalars())
    return tables


def forget_everything(engine) -> None:
    with engine.begin() as connection:
        for table in [*READ_MODELS, event_archive, inbox]:
            connection.execute(delete(table))


def _mixed(chance: random.Random, key: str, value):
    """A value of the contract example changed at random, so the events of a row disagree as real ones do."""
    if isinstance(value, dict):
        return {k: _mixed(chance, k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mixed(chance, key, item) for item in value]
    if not isinstance(value, str):
        if key in ("win_probability", "rating") and value is not None:
            return chance.choice((20, 50, 90, 3, 5))
        return value
    if UUID.match(value):
        if key in PER_EVENT_IDS:
            return f"{value[:-3]}{chance.randrange(4):03x}"
        return f"{value[:-1]}{chance.choice('01')}"  # two records of each kind, so events meet on rows
    if key.endswith("_at") and value.endswith("Z"):
        return format_time(START + timedelta(minutes=chance.randrange(0, 240, 5)))
    if key in ("stage", "to_status", "author_kind", "outcome", "priority", "channel", "name", "status"):
        choices = {"stage": ("qualification", "proposal", "won"), "to_status": ("open", "resolved", "closed"),
                   "author_kind": ("agent", "customer"), "outcome": ("won", "lost"), "priority": ("high", "low"),
                   "channel": ("web", "fair", value), "name": ("Acme", "锦佳"), "status": (value, "approved", "signed")}
        return chance.choice(choices[key])
    if key == "amount":
        return f"{chance.randrange(1, 90) * 100}.00"
    return value


def stream(seed: int, count: int) -> list[Envelope]:
    """`count` events of every kind reporting consumes, on two records of each kind, times and facts mixed,
    some delivered twice, in an order unrelated to their times (which tie now and then)."""
    chance = random.Random(seed)
    names = projections.consumed_events()
    events = []
    for _ in range(count):
        example = contract(chance.choice(names)).to_dict()
        example.update(
            id=str(uuid.UUID(int=chance.getrandbits(128), version=4)),
            occurred_at=format_time(START + timedelta(minutes=chance.randrange(0, 240, 5))),
            payload=_mixed(chance, "payload", example["payload"]),
        )
        events.append(Envelope.from_dict(example))
    events += chance.sample(events, count // 10)  # redeliveries
    chance.shuffle(events)
    return events


def batches(events: list[Envelope], chance: random.Random) -> list[list[Envelope]]:
    out, start = [], 0
    while start < len(events):
        size = chance.choice((1, 2, 7, 40, len(events)))
        out.append(events[start:start + size])
        start += size
    return out


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_batches_folded_per_row_leave_what_the_events_one_by_one_leave(consumer, engine, seed):
    events = stream(seed, 300)
    # The first third one by one in both runs, so the batches then meet stored rows as well as new ones.
    settled, rest = events[:100], events[100:]
    for envelope in settled + rest:
        consumer.handle(envelope, HANDLERS[envelope.name])
    one_by_one = snapshot(engine)
    counted = (consumer.processed, consumer.duplicates)

    forget_everything(engine)
    consumer.processed = consumer.duplicates = 0
    for envelope in settled:
        consumer.handle(envelope, HANDLERS[envelope.name])
    for batch in batches(rest, random.Random(seed)):
        consumer.handle_many([(envelope, HANDLERS[envelope.name]) for envelope in batch])
    assert snapshot(engine) == one_by_one
    assert (consumer.processed, consumer.duplicates) == counted
    assert counted[0] == len({envelope.id for envelope in events})


@pytest.mark.parametrize("seed", range(16))
def test_any_mix_of_rules_on_one_row_folds_to_what_applying_them_in_turn_gives(engine, uow_factory, seed):
    """The fold's algebra, on stored and on new rows: guarded groups naming different columns, a column taken as
    `latest` by one event and `earliest` by another, `first` values that disagree, sums, NULLs, tied times."""
    chance = random.Random(seed)
    # Few rows, so events meet on them; several, so a batch's rows of different shapes share statements.
    tickets = [f"7e57{n:04x}-0000-4000-8000-000000000000" for n in range(5)]

    def moment():
        return START + timedelta(minutes=chance.randrange(0, 60, 10))

    def rule():
        kinds = {}
        if chance.random() < 0.5:
            kinds["state"] = {"status": chance.choice(("new", "open", "resolved", "closed"))}
        if chance.random() < 0.4:
            kinds["guarded"] = {"assignment_at": chance.choice(({"assignee_id": chance.choice(tickets)},
                                                                {"assignee_id": None, "group_id": tickets[0]}))}
        # One kind per column within an event (as the handlers do), but resolved_at is `latest` in some
        # events and `earliest` in others.
        for kind, column in (("first", "subject"), ("first", "channel"), (chance.choice(("earliest", "latest")), "resolved_at"),
                             ("latest", "closed_at"), ("earliest", "first_response_at")):
            if chance.random() < 0.3:
                value = chance.choice((moment(), None)) if column.endswith("_at") else chance.choice(("a", "b", None))
                kinds.setdefault(kind, {})[column] = value
        if chance.random() < 0.3:
            kinds["add"] = {chance.choice(("reopened", "sla_breaches")): chance.randrange(1, 3)}
        # A value only an INSERT writes, which a later event's `first` must not take for its own.
        # Defaults that differ, so a row's default never passes for a state it was given.
        defaults = {"status": chance.choice(("new", "triage")), **({"subject": "default"} if chance.random() < 0.3 else {})}
        return {"table": fact_tickets, "key": {"ticket_id": chance.choice(tickets)}, "at": moment(),
                "defaults": defaults, **kinds}

    def read() -> list:
        with engine.connect() as connection:
            return [dict(row) for row in connection.execute(select(fact_tickets).order_by(fact_tickets.c.ticket_id)).mappings()]

    stored = [rule() for _ in range(4)]
    arriving = [rule() for _ in range(40)]
    for fold_them in (False, True):
        with engine.begin() as connection:
            connection.execute(delete(fact_tickets))
        with uow_factory() as uow:
            for each in stored[: 2 if seed % 2 else 0]:
                changes = Changes()
                changes.upsert(**each)
                changes.write(uow.session)
            changes = Changes()
            for each in arriving:
                if not fold_them:
                    changes = Changes()
                changes.upsert(**each)
                if not fold_them:
                    changes.write(uow.session)
            if fold_them:
                changes.write(uow.session)
            uow.commit()
        if fold_them:
            assert read() == applied_in_turn
        else:
            applied_in_turn = read()
    assert applied_in_turn


def test_rows_of_different_shapes_written_together_change_only_what_their_own_events_say(engine, uow_factory):
    """Two shapes share one upsert (facts.merge_shapes): a row without a state of its own must not take the
    values it carries for the shared update's state columns, nor count anything it carries as a sum."""
    quiet, busy = (f"5a7e{n:04x}-0000-4000-8000-000000000000" for n in range(2))
    with uow_factory() as uow:
        stored = Changes()
        stored.upsert(fact_tickets, {"ticket_id": quiet}, START, add={"reopened": 2}, defaults={"status": "triage"})
        stored.write(uow.session)
        uow.commit()
    sent: list[str] = []
    listener = lambda _c, _cursor, statement, *_: sent.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        with uow_factory() as uow:
            changes = Changes()
            changes.upsert(fact_tickets, {"ticket_id": quiet}, START + timedelta(hours=1), latest={"closed_at": START},
                           defaults={"status": "new"})
            changes.upsert(fact_tickets, {"ticket_id": busy}, START + timedelta(hours=1), state={"status": "open"},
                           add={"reopened": 1}, latest={"closed_at": START}, defaults={"status": "new"})
            changes.write(uow.session)
            uow.commit()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len([statement for statement in sent if statement.startswith("INSERT INTO fact_tickets")]) == 1
    with engine.connect() as connection:
        rows = {row.ticket_id: row for row in connection.execute(select(fact_tickets))}
    assert (rows[quiet].status, rows[quiet].state_at, rows[quiet].reopened, rows[quiet].closed_at) == ("triage", None, 2, START)
    assert (rows[busy].status, rows[busy].reopened) == ("open", 1)


def test_a_batch_is_written_with_one_statement_per_table(consumer, engine):
    """What the set-based write relies on: SQLAlchemy sends the executemany of each table as one multi-row INSERT."""
    leads = [contract_with("leads.lead.created.v1", lead_id=str(uuid.uuid4()), channel=("web", "fair")[n % 2])
             for n in range(150)]
    sent: list[str] = []
    listener = lambda _c, _cursor, statement, *_: sent.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        consumer.handle_many([(envelope, HANDLERS[envelope.name]) for envelope in leads])
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    written = sorted(statement.split()[2] for statement in sent if statement.startswith(("INSERT", "UPDATE", "DELETE")))
    assert written == ["channel_stats", "event_archive", "fact_leads", "fact_pool_moves", "inbox"], written
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(fact_leads)).scalar_one() == 150
        assert dict(connection.execute(select(channel_stats.c.channel, channel_stats.c.leads_created)).all()) == {
            "web": 75, "fair": 75}


def test_an_event_twice_in_a_batch_and_one_already_archived_are_counted_once(consumer, engine, uow_factory):
    payment = contract("sales.payment.received.v1")
    with uow_factory() as uow:  # already in the archive, past any inbox (a second queue, a replayed dump)
        uow.archive.append(payment)
        uow.commit()
    lead = contract_with("leads.lead.created.v1", channel="web")
    consumer.handle_many([(envelope, HANDLERS[envelope.name]) for envelope in (lead, payment, lead, payment)])
    assert (consumer.processed, consumer.duplicates) == (2, 2)
    with engine.connect() as connection:
        assert connection.execute(select(channel_stats.c.leads_created)).scalar_one() == 1
        assert connection.execute(select(func.count()).select_from(fact_installments)).scalar_one() == 0


@pytest.mark.parametrize("poison", ["unreadable payload", "row the database refuses"])
def test_a_poison_event_in_a_batch_is_dead_lettered_alone_and_the_rest_applied_once(
    poison, uow_factory, engine, tmp_path
):
    good = [contract_with("leads.lead.created.v1", lead_id=str(uuid.uuid4()), channel="web") for _ in range(59)]
    if poison == "unreadable payload":
        bad = Envelope.from_dict({**contract("leads.lead.created.v1").to_dict(), "payload": {"channel": "web"}})
    else:
        # A payment share that is not a number: the projection folds it, the database refuses its row
        # (paid_amount NOT NULL), so the batch fails in the set-based write, not before.
        bad = contract_with("sales.payment.received.v1", payment_id=str(uuid.uuid4()), installments=[
            {"installment_id": str(uuid.uuid4()), "number": 1, "amount": "lots"}])
    arriving = good[:30] + [bad] + good[30:]
    topology = Topology(exchange_name=f"test.events.{uuid.uuid4().hex[:8]}")
    with Connection("memory://") as connection:
        consumer = EventConsumer(connection, topology, SERVICE, HANDLERS, uow_factory, attempts=2, retry_delay=0.01,
                                 batch_size=200, batch_wait=0.2)
        topology.declare(connection, [consumer.queue])
        producer = Producer(connection)
        for envelope in arriving:
            producer.publish(envelope.to_json(), exchange=topology.exchange, routing_key=envelope.name,
                             **envelope.amqp_properties())
        stop = threading.Event()
        worker = threading.Thread(target=consumer.run_until, args=(stop,), daemon=True)
        worker.start()
        try:
            poll(lambda: consumer.processed + consumer.dead_lettered, lambda done: done >= len(arriving), timeout=60,
                 what="every event processed or dead-lettered")
        finally:
            stop.set()
            worker.join(timeout=10)
        dead = drain(connection, topology.dead_letter_queue, expected=1, timeout=2)
    assert [_text(message.body) for message in dead] == [bad.to_json()]
    assert (consumer.processed, consumer.dead_lettered, consumer.duplicates) == (len(good), 1, 0)
    with engine.connect() as connection:
        assert sorted(connection.execute(select(event_archive.c.event_id)).scalars()) == sorted(e.id for e in good)
        assert connection.execute(select(func.count()).select_from(inbox)).scalar_one() == len(good)
        assert connection.execute(select(channel_stats.c.leads_created)).scalar_one() == len(good)
        assert connection.execute(select(func.count()).select_from(fact_leads)).scalar_one() == len(good)
        assert connection.execute(select(func.count()).select_from(fact_installments)).scalar_one() == 0


def _text(body) -> str:
    return body.decode() if isinstance(body, bytes) else body
