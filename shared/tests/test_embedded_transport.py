"""The embedded bus transport, exercised the way the services use it: from several processes."""
from __future__ import annotations

import multiprocessing
import os
import queue as stdlib_queue
import signal
import socket
import time
from pathlib import Path

import pytest
from kombu import Consumer, Exchange, Producer, Queue, binding
from kombu.exceptions import ChannelError

from crm_shared.bus import embedded
from crm_shared.bus.embedded import CLAIMS_FOLDER, QUEUES_FOLDER, connection_for

# Forked, because the suite imports test modules under names a spawned child could not import.
# Each child opens its own connections; nothing of the parent's bus state is used in it.
fork = multiprocessing.get_context("fork")

EVENTS = Exchange("crm.events", type="topic", durable=True)
TIMEOUT = 15.0


def leads_queue(name: str = "leads") -> Queue:
    return Queue(name, [binding(EVENTS, routing_key="leads.#")], durable=True)


def next_result(results, deadline: float):
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise AssertionError("timed out waiting for a child process")
    try:
        return results.get(timeout=remaining)
    except stdlib_queue.Empty:
        raise AssertionError("timed out waiting for a child process") from None


def join_all(processes, results, collected: list) -> None:
    """Join the children while draining `results`, so none blocks on a full pipe; late results go to `collected`."""
    deadline = time.monotonic() + TIMEOUT
    while any(process.is_alive() for process in processes):
        assert time.monotonic() < deadline, "child processes did not stop"
        try:
            collected.append(results.get(timeout=0.05))
        except stdlib_queue.Empty:
            pass
    while True:
        try:
            collected.append(results.get_nowait())
        except stdlib_queue.Empty:
            break
    assert [process.exitcode for process in processes] == [0] * len(processes)


def ready_files(folder: Path, queue: str) -> list[str]:
    return sorted(path.name for path in (folder / QUEUES_FOLDER / queue).glob("*.msg"))


def claimed_files(folder: Path, queue: str) -> list[str]:
    return sorted(path.name for path in (folder / QUEUES_FOLDER / queue / CLAIMS_FOLDER).glob("*.msg"))


@pytest.fixture
def start():
    """Starts a child process; a test that fails leaves none running (they would keep pytest from exiting)."""
    started = []

    def start_process(target, *args):
        process = fork.Process(target=target, args=args, daemon=True)
        process.start()
        started.append(process)
        return process

    yield start_process
    for process in started:
        if process.is_alive():
            process.kill()
        process.join(TIMEOUT)


# -- child processes ----------------------------------------------------------------------------


def consume_until_stopped(folder: str, queue_name: str, consumer_id: int, results, stop) -> None:
    """Declare and bind `queue_name`, report ready, then report every message until `stop` is set."""
    with connection_for(folder) as connection:
        channel = connection.channel()

        def on_message(body, message):
            redelivered = bool(message.delivery_info.get("redelivered"))
            results.put((consumer_id, message.delivery_info["routing_key"], body, redelivered))
            message.ack()

        with Consumer(channel, [leads_queue(queue_name)], callbacks=[on_message], prefetch_count=10, accept=["json"]):
            results.put(("ready", consumer_id))
            while not stop.is_set():
                try:
                    connection.drain_events(timeout=0.05)
                except socket.timeout:
                    pass


def publish_sequence(folder: str, publisher_id: int, count: int, start) -> None:
    """Declare only the exchange, wait for `start`, then publish `count` numbered lead events."""
    with connection_for(folder) as connection:
        producer = Producer(connection.channel(), exchange=EVENTS)
        EVENTS(producer.channel).declare()
        assert start.wait(TIMEOUT)
        for sequence in range(count):
            producer.publish(
                {"publisher": publisher_id, "sequence": sequence},
                routing_key="leads.lead.created.v1",
                serializer="json",
            )


def publish_routing_keys(folder: str, routing_keys: list[str]) -> None:
    with connection_for(folder) as connection:
        producer = Producer(connection.channel(), exchange=EVENTS)
        EVENTS(producer.channel).declare()
        for routing_key in routing_keys:
            producer.publish({"routing_key": routing_key}, routing_key=routing_key, serializer="json")


def hold_one_message_without_ack(folder: str, queue_name: str, report) -> None:
    """Receive one message and never ack it: the parent SIGKILLs this process while it holds it.

    It reports on a pipe of its own: killed while a multiprocessing queue's writer lock is still
    held, it would leave that lock taken for every other child.
    """
    with connection_for(folder) as connection:

        def on_message(body, message):
            report.send(("holding", body))
            time.sleep(TIMEOUT * 4)

        with Consumer(connection.channel(), [leads_queue(queue_name)], callbacks=[on_message], accept=["json"]):
            connection.drain_events(timeout=TIMEOUT)


def bind_two_queues(folder: str, exchange_type: str) -> None:
    exchange = Exchange(f"routing.{exchange_type}", type=exchange_type)
    with connection_for(folder) as connection:
        channel = connection.channel()
        Queue("first", exchange, routing_key="first")(channel).declare()
        Queue("second", exchange, routing_key="second")(channel).declare()


def publish_without_declaring(folder: str, exchange_name: str, routing_key: str) -> None:
    with connection_for(folder) as connection:
        Producer(connection.channel()).publish(
            {"hello": "world"}, exchange=exchange_name, routing_key=routing_key, serializer="json"
        )


# -- routing across processes -------------------------------------------------------------------


def test_topic_binding_made_by_a_consumer_process_routes_what_another_process_publishes(tmp_path, start):
    results, stop = fork.Queue(), fork.Event()
    consumer = start(consume_until_stopped, str(tmp_path), "leads", 1, results, stop)
    deadline = time.monotonic() + TIMEOUT
    assert next_result(results, deadline) == ("ready", 1)

    # The last event comes from the same publisher as the others, so once it is in, the sales
    # event would have been in too had it been routed to the queue.
    publisher = start(
        publish_routing_keys,
        str(tmp_path),
        ["leads.lead.created.v1", "sales.customer.created.v1", "leads.lead.updated.v1"],
    )
    received = []
    while len(received) < 2:
        received.append(next_result(results, deadline)[1])
    stop.set()
    late: list = []
    join_all([consumer, publisher], results, late)

    assert received == ["leads.lead.created.v1", "leads.lead.updated.v1"]
    assert late == []


@pytest.mark.parametrize(("exchange_type", "expected"), [("direct", [1, 0]), ("fanout", [1, 1])])
def test_direct_and_fanout_bindings_route_for_a_process_that_never_declared_the_exchange(
    tmp_path, start, exchange_type, expected
):
    binder = start(bind_two_queues, str(tmp_path), exchange_type)
    binder.join(TIMEOUT)
    publisher = start(publish_without_declaring, str(tmp_path), f"routing.{exchange_type}", "first")
    publisher.join(TIMEOUT)
    assert (binder.exitcode, publisher.exitcode) == (0, 0)

    with connection_for(str(tmp_path)) as connection:
        channel = connection.channel()
        counts = [channel.queue_declare(name, passive=True).message_count for name in ("first", "second")]
    assert counts == expected


# -- many publishers, many consumers ------------------------------------------------------------


def run_burst(start, folder: Path, per_publisher: int) -> None:
    results, stop, go = fork.Queue(), fork.Event(), fork.Event()
    consumers = [start(consume_until_stopped, str(folder), "leads", number, results, stop) for number in (1, 2)]
    publishers = [start(publish_sequence, str(folder), number, per_publisher, go) for number in (1, 2)]
    deadline = time.monotonic() + TIMEOUT
    ready = {next_result(results, deadline) for _ in consumers}
    assert ready == {("ready", 1), ("ready", 2)}
    go.set()

    received = []
    while len(received) < 2 * per_publisher:
        received.append(next_result(results, deadline))
    stop.set()
    join_all(consumers + publishers, results, received)

    delivered = [(body["publisher"], body["sequence"]) for _consumer, _key, body, _redelivered in received]
    assert len(delivered) == 2 * per_publisher, "a message was delivered more than once"
    assert sorted(delivered) == [(p, s) for p in (1, 2) for s in range(per_publisher)]
    for consumer in (1, 2):
        for publisher in (1, 2):
            sequences = [
                body["sequence"]
                for consumer_id, _key, body, _redelivered in received
                if consumer_id == consumer and body["publisher"] == publisher
            ]
            assert sequences == sorted(sequences), f"consumer {consumer} got publisher {publisher} out of order"
    assert ready_files(folder, "leads") == []
    assert claimed_files(folder, "leads") == []


def test_two_consumer_processes_receive_every_message_of_two_publisher_processes_once_and_in_order(tmp_path, start):
    for burst in range(5):
        run_burst(start, tmp_path / f"burst-{burst}", per_publisher=500)


# -- crash recovery -----------------------------------------------------------------------------


def publish_one(folder: Path, body: dict) -> None:
    with connection_for(str(folder)) as connection:
        channel = connection.channel()
        leads_queue()(channel).declare()
        Producer(channel, exchange=EVENTS).publish(body, routing_key="leads.lead.created.v1", serializer="json")


def start_holder_and_kill_it(start, folder: Path) -> None:
    receiver, sender = fork.Pipe(duplex=False)
    holder = start(hold_one_message_without_ack, str(folder), "leads", sender)
    assert receiver.poll(TIMEOUT), "the holder received nothing"
    assert receiver.recv() == ("holding", {"lead": 1})
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(TIMEOUT)
    assert holder.exitcode == -signal.SIGKILL
    assert ready_files(folder, "leads") == []
    assert len(claimed_files(folder, "leads")) == 1


def test_a_message_held_by_a_consumer_killed_before_acking_is_redelivered_to_the_next_consumer(tmp_path, start):
    publish_one(tmp_path, {"lead": 1})
    start_holder_and_kill_it(start, tmp_path)
    results, stop = fork.Queue(), fork.Event()

    successor = start(consume_until_stopped, str(tmp_path), "leads", 2, results, stop)
    deadline = time.monotonic() + TIMEOUT
    assert next_result(results, deadline) == ("ready", 2)
    assert next_result(results, deadline) == (2, "leads.lead.created.v1", {"lead": 1}, True)
    stop.set()
    late: list = []
    join_all([successor], results, late)

    assert late == []
    assert ready_files(tmp_path, "leads") == []
    assert claimed_files(tmp_path, "leads") == []


def test_a_consumer_already_running_takes_over_the_message_of_a_consumer_killed_beside_it(tmp_path, start):
    publish_one(tmp_path, {"lead": 1})
    receiver, sender = fork.Pipe(duplex=False)
    received = []
    with connection_for(str(tmp_path), transport_options={"claim_recovery_interval": 0.1}) as connection:
        holder = start(hold_one_message_without_ack, str(tmp_path), "leads", sender)
        assert receiver.poll(TIMEOUT), "the holder received nothing"
        assert receiver.recv() == ("holding", {"lead": 1})
        with Consumer(
            connection.channel(),
            [leads_queue()],
            callbacks=[lambda body, message: (received.append(body), message.ack())],
            accept=["json"],
        ):
            os.kill(holder.pid, signal.SIGKILL)
            holder.join(TIMEOUT)
            deadline = time.monotonic() + TIMEOUT
            while not received and time.monotonic() < deadline:
                try:
                    connection.drain_events(timeout=0.1)
                except socket.timeout:
                    pass
    assert received == [{"lead": 1}]
    assert claimed_files(tmp_path, "leads") == []


# -- ack, reject, purge and counts in one process -----------------------------------------------


def test_reject_with_requeue_puts_the_message_back_in_its_place_and_ack_deletes_its_file(tmp_path):
    with connection_for(str(tmp_path)) as connection:
        channel = connection.channel()
        queue = leads_queue()(channel)
        queue.declare()
        producer = Producer(channel, exchange=EVENTS)
        for number in range(3):
            producer.publish({"lead": number}, routing_key="leads.lead.created.v1", serializer="json")
        assert queue.queue_declare(passive=True).message_count == 3

        first = queue.get(accept=["json"])
        assert first.payload == {"lead": 0}
        assert not first.delivery_info.get("redelivered")
        assert len(ready_files(tmp_path, "leads")) == 2
        assert len(claimed_files(tmp_path, "leads")) == 1

        first.requeue()
        assert len(ready_files(tmp_path, "leads")) == 3
        assert claimed_files(tmp_path, "leads") == []

        again = queue.get(accept=["json"])
        assert again.payload == {"lead": 0}
        assert again.delivery_info["redelivered"] is True
        again.ack()
        assert len(ready_files(tmp_path, "leads")) == 2
        assert claimed_files(tmp_path, "leads") == []

        second = queue.get(accept=["json"])
        assert second.payload == {"lead": 1}
        second.reject()
        assert claimed_files(tmp_path, "leads") == []
        assert queue.queue_declare(passive=True).message_count == 1

        producer.publish({"lead": 3}, routing_key="leads.lead.created.v1", serializer="json")
        assert queue.purge() == 2
        assert queue.queue_declare(passive=True).message_count == 0
        assert queue.get() is None


def test_unacked_messages_go_back_to_the_queue_when_the_connection_closes(tmp_path):
    publish_one(tmp_path, {"lead": 1})
    with connection_for(str(tmp_path)) as connection:
        message = leads_queue()(connection.channel()).get(accept=["json"])
        assert message.payload == {"lead": 1}
    assert claimed_files(tmp_path, "leads") == []

    with connection_for(str(tmp_path)) as connection:
        again = leads_queue()(connection.channel()).get(accept=["json"])
        assert (again.payload, again.delivery_info["redelivered"]) == ({"lead": 1}, True)
        again.ack()
    assert ready_files(tmp_path, "leads") == []


def test_a_passive_declare_of_a_missing_queue_raises_a_channel_error(tmp_path):
    with connection_for(str(tmp_path)) as connection:
        with pytest.raises(ChannelError):
            connection.channel().queue_declare("missing", passive=True)


def test_deleting_a_queue_removes_its_messages_and_bindings(tmp_path):
    publish_one(tmp_path, {"lead": 1})
    with connection_for(str(tmp_path)) as connection:
        channel = connection.channel()
        channel.queue_delete("leads")
        assert list(channel.list_bindings()) == []
        assert not (tmp_path / QUEUES_FOLDER / "leads").exists()
        Producer(channel, exchange=EVENTS).publish({"lead": 2}, routing_key="leads.lead.created.v1")
        assert not (tmp_path / QUEUES_FOLDER / "leads").exists()


def test_a_binding_made_after_a_publisher_cached_the_table_routes_its_next_message(tmp_path, monkeypatch):
    # Trust the cache at once, so only the stat key can tell the publisher the table changed.
    monkeypatch.setattr(embedded, "_RACY_WINDOW_NS", 0)
    with connection_for(str(tmp_path)) as publisher, connection_for(str(tmp_path)) as binder:
        producer = Producer(publisher.channel(), exchange=EVENTS)
        EVENTS(producer.channel).declare()
        producer.publish({"lead": 0}, routing_key="leads.lead.created.v1")
        leads_queue()(binder.channel()).declare()
        producer.publish({"lead": 1}, routing_key="leads.lead.created.v1")
        assert binder.channel().queue_declare("leads", passive=True).message_count == 1


def test_messages_survive_a_restart_of_every_process(tmp_path):
    publish_one(tmp_path, {"lead": 1})
    with connection_for(str(tmp_path)) as connection:
        message = leads_queue()(connection.channel()).get(accept=["json"])
        assert message.payload == {"lead": 1}
        message.ack()


def test_redeclaring_an_exchange_with_another_type_in_another_connection_is_refused(tmp_path):
    with connection_for(str(tmp_path)) as first, connection_for(str(tmp_path)) as second:
        Exchange("crm.events", type="topic")(first.channel()).declare()
        with pytest.raises(embedded.NotEquivalentError):
            Exchange("crm.events", type="direct")(second.channel()).declare()


def test_a_message_taken_with_no_ack_leaves_no_claim_behind(tmp_path):
    publish_one(tmp_path, {"lead": 1})
    with connection_for(str(tmp_path)) as connection:
        message = leads_queue()(connection.channel()).get(no_ack=True, accept=["json"])
        assert message.payload == {"lead": 1}
    assert ready_files(tmp_path, "leads") == []
    assert claimed_files(tmp_path, "leads") == []


def test_an_unreadable_message_file_is_set_aside_and_the_next_message_delivered(tmp_path):
    publish_one(tmp_path, {"lead": 1})
    # What a power loss can leave behind, since nothing is fsynced: an empty file under a valid name.
    (tmp_path / QUEUES_FOLDER / "leads" / f"{0:020d}-{0:010d}-{0:010d}.msg").write_bytes(b"")
    with connection_for(str(tmp_path)) as connection:
        message = leads_queue()(connection.channel()).get(accept=["json"])
        assert message.payload == {"lead": 1}
        message.ack()
    assert [path.name for path in (tmp_path / embedded.UNREADABLE_FOLDER).iterdir()] == [
        f"leads-{0:020d}-{0:010d}-{0:010d}.msg"
    ]
    assert claimed_files(tmp_path, "leads") == []
