"""The bus contract: what every backend (RabbitMQ and the embedded bus) must guarantee."""
from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time

import pytest
from kombu import Exchange, Producer, Queue
from sqlalchemy import func, insert, select

from crm_shared.testing import drain
from crm_shared.bus.connection import connect
from crm_shared.bus.consumer import EventConsumer
from crm_shared.bus.relay import OutboxRelay
from crm_shared.db import outbox
from crm_shared.envelope import Envelope

pytestmark = pytest.mark.integration

EVENT = "tests.widget.created.v1"


def new_event(number: int = 0) -> Envelope:
    return Envelope.new(EVENT, {"number": number}, producer="tests")


def recorder(effects):
    def record_effect(envelope, uow):
        uow.session.execute(insert(effects).values(event_id=envelope.id, consumer="tests"))

    return record_effect


def observer_queue(topology) -> Queue:
    """A queue that sees every event, as an outside system bound to the exchange would."""
    return Queue(f"{topology.exchange_name}.observer", exchange=topology.exchange, routing_key="#", durable=True)


def publish_raw(connection, topology, envelope: Envelope) -> None:
    Producer(connection).publish(
        envelope.to_json(),
        exchange=topology.exchange,
        routing_key=envelope.name,
        declare=[topology.exchange],
        **envelope.amqp_properties(),
    )


def consume_in_thread(consumer: EventConsumer) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run_until, args=(stop,), daemon=True)
    thread.start()
    return thread, stop


def wait_for(condition, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def effect_count(engine, effects) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(effects)).scalar_one()


def unpublished(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        ).scalar_one()


def test_a_rolled_back_transaction_publishes_nothing(bus, database, uow_factory, request):
    backend, url, topology = bus
    engine, _ = database
    observer = observer_queue(topology)
    request.node.crm_queues = [observer.name]
    with connect(url) as connection:
        topology.declare(connection, [observer])
        with uow_factory() as uow:
            uow.emit(new_event(1))
            # leaving the block without commit() rolls back
        with uow_factory() as uow:
            uow.emit(new_event(2))
            uow.commit()
        relay = OutboxRelay(engine, lambda: connect(url), topology)
        assert relay.publish_batch() == 1
        assert relay.publish_batch() == 0
        relay.close()
        received = drain(connection, observer, expected=2, timeout=1.5)
    assert [json.loads(m.body)["payload"]["number"] for m in received] == [2]


def test_the_same_event_delivered_twice_has_one_effect(bus, database, uow_factory, request, effects):
    backend, url, topology = bus
    engine, _ = database
    consumer = EventConsumer(connect(url), topology, "tests-consumer", {EVENT: recorder(effects)}, uow_factory)
    request.node.crm_queues = [consumer.queue.name]
    with connect(url) as connection:
        topology.declare(connection, [consumer.queue])
        twice, other = new_event(1), new_event(2)
        for envelope in (twice, twice, other):
            publish_raw(connection, topology, envelope)
    thread, stop = consume_in_thread(consumer)
    try:
        wait_for(lambda: consumer.processed + consumer.duplicates == 3, what="three deliveries")
    finally:
        stop.set()
        thread.join(10)
    assert effect_count(engine, effects) == 2
    assert consumer.duplicates == 1


def test_a_handler_that_always_fails_is_dead_lettered_and_the_next_message_is_processed(
    bus, database, uow_factory, request, effects
):
    backend, url, topology = bus
    engine, _ = database
    attempts = []

    def handler(envelope, uow):
        if envelope.payload["number"] == 1:
            attempts.append(envelope.id)
            raise RuntimeError("this handler cannot cope with number 1")
        recorder(effects)(envelope, uow)

    consumer = EventConsumer(
        connect(url), topology, "tests-failing", {EVENT: handler}, uow_factory, attempts=3, retry_delay=0.01
    )
    request.node.crm_queues = [consumer.queue.name]
    poison, good = new_event(1), new_event(2)
    with connect(url) as connection:
        topology.declare(connection, [consumer.queue])
        publish_raw(connection, topology, poison)
        publish_raw(connection, topology, good)
    thread, stop = consume_in_thread(consumer)
    try:
        wait_for(lambda: effect_count(engine, effects) == 1 and consumer.dead_lettered == 1, what="dead letter + next")
    finally:
        stop.set()
        thread.join(10)
    assert attempts == [poison.id] * 3
    with connect(url) as connection:
        dead = drain(connection, topology.dead_letter_queue, expected=1, timeout=5)
    assert len(dead) == 1
    assert Envelope.from_json(dead[0].body) == poison
    assert dead[0].headers["x-crm-consumer"] == "tests-failing"
    assert "cannot cope with number 1" in dead[0].headers["x-crm-error"]
    assert dead[0].headers["x-crm-attempts"] == 3


def test_a_message_that_is_not_an_envelope_is_dead_lettered_intact(bus, database, uow_factory, request, effects):
    backend, url, topology = bus
    engine, _ = database
    consumer = EventConsumer(connect(url), topology, "tests-garbage", {EVENT: recorder(effects)}, uow_factory)
    request.node.crm_queues = [consumer.queue.name]
    with connect(url) as connection:
        topology.declare(connection, [consumer.queue])
        Producer(connection).publish(
            b"{not json", exchange=topology.exchange, routing_key=EVENT, content_type="application/json",
            content_encoding="utf-8",
        )
        publish_raw(connection, topology, new_event(5))
    thread, stop = consume_in_thread(consumer)
    try:
        wait_for(lambda: effect_count(engine, effects) == 1 and consumer.dead_lettered == 1, what="garbage dead-lettered")
    finally:
        stop.set()
        thread.join(10)
    with connect(url) as connection:
        dead = drain(connection, topology.dead_letter_queue, expected=1, timeout=5)
    body = dead[0].body
    assert (body.encode() if isinstance(body, str) else body) == b"{not json"


def test_two_workers_of_one_service_process_each_event_once(bus, database, uow_factory, request, effects):
    backend, url, topology = bus
    engine, _ = database
    consumers = [
        EventConsumer(connect(url), topology, "tests-scaled", {EVENT: recorder(effects)}, uow_factory) for _ in range(2)
    ]
    request.node.crm_queues = [consumers[0].queue.name]
    events = [new_event(n) for n in range(300)]
    with connect(url) as connection:
        topology.declare(connection, [consumers[0].queue])
        for envelope in events:
            publish_raw(connection, topology, envelope)
        for envelope in events[:50]:  # redeliveries the two workers may race on
            publish_raw(connection, topology, envelope)
    running = [consume_in_thread(c) for c in consumers]
    try:
        wait_for(lambda: sum(c.processed + c.duplicates for c in consumers) == 350, timeout=60, what="350 deliveries")
    finally:
        for thread, stop in running:
            stop.set()
        for thread, stop in running:
            thread.join(10)
    with engine.connect() as connection:
        per_event = connection.execute(select(effects.c.event_id, func.count()).group_by(effects.c.event_id)).all()
    assert len(per_event) == 300
    assert {count for _, count in per_event} == {1}
    assert all(c.processed > 0 for c in consumers), "both workers took part"


def test_a_batching_consumer_commits_many_events_at_once_and_still_dead_letters_a_poison_one_alone(
    bus, database, uow_factory, request, effects
):
    backend, url, topology = bus
    engine, _ = database
    commits = []

    def handler(envelope, uow):
        if envelope.payload["number"] == 13:
            raise RuntimeError("this handler cannot cope with number 13")
        recorder(effects)(envelope, uow)

    def counting_uow():
        uow = uow_factory()
        commit = uow.commit
        uow.commit = lambda: (commits.append(1), commit())
        return uow

    consumer = EventConsumer(
        connect(url), topology, "tests-batching", {EVENT: handler}, counting_uow, attempts=2, retry_delay=0.01,
        batch_size=50,
    )
    request.node.crm_queues = [consumer.queue.name]
    events = [new_event(n) for n in range(200)]
    with connect(url) as connection:
        topology.declare(connection, [consumer.queue])
        for envelope in events + events[:20]:  # redeliveries within and across batches
            publish_raw(connection, topology, envelope)
    thread, stop = consume_in_thread(consumer)
    try:
        wait_for(lambda: effect_count(engine, effects) == 199 and consumer.dead_lettered == 1, timeout=30,
                 what="199 effects and the poison dead-lettered")
        wait_for(lambda: consumer.processed + consumer.duplicates >= 219, what="every delivery accounted for")
    finally:
        stop.set()
        thread.join(10)
    with engine.connect() as connection:
        per_event = connection.execute(select(effects.c.event_id, func.count()).group_by(effects.c.event_id)).all()
    assert len(per_event) == 199 and {count for _, count in per_event} == {1}
    # Far fewer commits than events: batches; the poison's batch was retried one by one.
    assert len(commits) < 120, len(commits)
    with connect(url) as connection:
        dead = drain(connection, topology.dead_letter_queue, expected=1, timeout=5)
    assert Envelope.from_json(dead[0].body) == events[13]


def test_a_batching_consumer_hands_over_a_lone_event_without_waiting_for_more(bus, database, uow_factory, request, effects):
    backend, url, topology = bus
    engine, _ = database
    consumer = EventConsumer(connect(url), topology, "tests-lone", {EVENT: recorder(effects)}, uow_factory, batch_size=200)
    request.node.crm_queues = [consumer.queue.name]
    with connect(url) as connection:
        topology.declare(connection, [consumer.queue])
    thread, stop = consume_in_thread(consumer)
    try:
        with connect(url) as connection:
            publish_raw(connection, topology, new_event(1))
        wait_for(lambda: effect_count(engine, effects) == 1, timeout=5, what="the lone event's effect")
    finally:
        stop.set()
        thread.join(10)


def _restart_rabbitmq() -> None:
    subprocess.run(["rabbitmqctl", "-q", "stop_app"], check=True, timeout=60)
    subprocess.run(["rabbitmqctl", "-q", "start_app"], check=True, timeout=120)
    subprocess.run(["rabbitmqctl", "-q", "await_startup"], check=True, timeout=120)


def test_the_relay_loses_nothing_when_rabbitmq_restarts_while_it_publishes(rabbitmq_bus, database, request):
    backend, url, topology = rabbitmq_bus
    if shutil.which("rabbitmqctl") is None or "127.0.0.1" not in url and "localhost" not in url:
        pytest.fail("this test restarts the local RabbitMQ with rabbitmqctl; point CRM_TEST_AMQP_URL at it")
    engine, session_factory = database
    observer = observer_queue(topology)
    request.node.crm_queues = [observer.name]
    total = 3000
    events = [new_event(n) for n in range(total)]
    with engine.begin() as connection:
        connection.execute(
            insert(outbox),
            [{"event_id": e.id, "name": e.name, "body": e.to_json(), "created_at": e.occurred} for e in events],
        )
    with connect(url) as connection:
        topology.declare(connection, [observer])
    relay = OutboxRelay(engine, lambda: connect(url), topology, batch_size=100)
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_for(lambda: unpublished(engine) < total - 200, what="the relay to be publishing")
        remaining_at_restart = unpublished(engine)
        _restart_rabbitmq()
        wait_for(lambda: unpublished(engine) == 0, timeout=120, what="every outbox row published")
    finally:
        stop.set()
        thread.join(30)
    with connect(url) as connection:
        received = drain(connection, observer, expected=total, timeout=60)
        # duplicates are allowed (re-published after the restart); losses are not
        while True:
            more = drain(connection, observer, expected=1, timeout=1.0)
            if not more:
                break
            received.extend(more)
    assert remaining_at_restart > 0, "the broker restarted while events were still waiting to be published"
    ids = {Envelope.from_json(m.body).id for m in received}
    assert ids == {e.id for e in events}
