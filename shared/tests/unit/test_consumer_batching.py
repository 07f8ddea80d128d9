"""How a batching consumer cuts batches, hands them to its batch thread and acks them, without a broker.

The consumer is driven as kombu's loop drives it: `on_iteration` between reads, `on_message` per
delivery; the clock is a fake one the test moves, the messages record their acks.
"""
import threading

import pytest
from kombu.transport.virtual import Channel as VirtualChannel
from sqlalchemy.exc import OperationalError

from crm_shared.bus import consumer as consumer_module
from crm_shared.bus.consumer import EventConsumer
from crm_shared.bus.topology import Topology
from crm_shared.envelope import Envelope

EVENT = "tests.widget.created.v1"


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class BrokerChannel:
    """A channel of a real broker (RabbitMQ): `multiple` acks every delivery up to the tag."""


class EmbeddedChannel(VirtualChannel):
    """A channel of a kombu virtual transport (the embedded bus): `multiple` is ignored."""

    def __init__(self):
        pass


class FakeMessage:
    def __init__(self, tag: int, channel, acks: list):
        self.envelope = Envelope.new(EVENT, {"number": tag}, producer="tests")
        self.body = self.envelope.to_json()
        self.delivery_tag = tag
        self.channel = channel
        self.acks = acks

    def ack(self, multiple: bool = False) -> None:
        self.acks.append((self.delivery_tag, multiple))


class RecordingConsumer(EventConsumer):
    """Records the batches (and single events) it would apply instead of touching a database."""

    def __init__(self, **kwargs):
        super().__init__(None, Topology("tests-unit"), "tests", {EVENT: lambda envelope, uow: None}, None, **kwargs)
        self.batches: list[list[int]] = []
        self.singles: list[int] = []
        self.fail_batches = False
        self.database_away_for = 0  # batches refused as if PostgreSQL were restarting
        self.release = threading.Event()
        self.release.set()

    def handle_many(self, batch) -> None:
        self.release.wait(10)
        if self.database_away_for:
            self.database_away_for -= 1
            raise OperationalError("INSERT", {}, ConnectionRefusedError("the database is restarting"))
        if self.fail_batches:
            raise RuntimeError("the batch fails")
        self.batches.append([envelope.payload["number"] for envelope, _ in batch])

    def handle(self, envelope, handler) -> bool:
        self.singles.append(envelope.payload["number"])
        return True


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(consumer_module, "time", fake)
    return fake


def deliver(consumer: EventConsumer, clock: FakeClock, messages, every: float) -> None:
    for message in messages:
        consumer.on_iteration()
        consumer.on_message(message)
        clock.now += every


def test_a_steady_stream_fills_whole_batches_instead_of_being_cut_batch_wait_after_the_first(clock):
    consumer = RecordingConsumer(batch_size=5, batch_wait=0.02, batch_max_wait=1.0)
    acks: list = []
    # A message every 10 ms: never quiet for batch_wait, but the batch is 30 ms old after the fourth.
    deliver(consumer, clock, [FakeMessage(tag, BrokerChannel(), acks) for tag in range(1, 13)], every=0.01)
    clock.now += 0.02  # then the broker has nothing more
    consumer.on_iteration()
    consumer.settle_batch(block=True)
    assert consumer.batches == [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12]]


def test_a_slow_trickle_is_handed_over_once_its_first_message_waited_batch_max_wait(clock):
    consumer = RecordingConsumer(batch_size=100, batch_wait=0.02, batch_max_wait=0.1)
    acks: list = []
    deliver(consumer, clock, [FakeMessage(tag, BrokerChannel(), acks) for tag in range(1, 8)], every=0.015)
    consumer.on_iteration()  # 90 ms after the first, the 7th arrived; this is 105 ms after it
    consumer.settle_batch(block=True)
    assert consumer.batches == [[1, 2, 3, 4, 5, 6, 7]]


def test_a_committed_batch_is_acked_by_one_multiple_ack_on_a_broker_and_each_message_on_the_embedded_bus(clock):
    one_by_one = [(1, False), (2, False), (3, False)]
    for channel, expected in ((BrokerChannel(), [(3, True)]), (EmbeddedChannel(), one_by_one)):
        consumer = RecordingConsumer(batch_size=3)
        acks: list = []
        deliver(consumer, clock, [FakeMessage(tag, channel, acks) for tag in (1, 2, 3)], every=0.001)
        consumer.settle_batch(block=True)
        assert consumer.batches == [[1, 2, 3]]
        assert acks == expected


def test_a_batch_is_acked_only_after_its_database_work_and_the_next_waits_for_it(clock):
    consumer = RecordingConsumer(batch_size=2)
    acks: list = []
    consumer.release.clear()  # the database is slow
    deliver(consumer, clock, [FakeMessage(tag, BrokerChannel(), acks) for tag in (1, 2, 3)], every=0.001)
    consumer.on_iteration()
    assert acks == [] and consumer.batches == []  # in the database: not acked, not settled
    consumer.release.set()
    consumer.on_message(FakeMessage(4, BrokerChannel(), acks))  # fills the next batch: settles the first
    assert acks[0] == (2, True) and consumer.batches[0] == [1, 2]
    consumer.settle_batch(block=True)
    assert consumer.batches == [[1, 2], [3, 4]]
    assert acks == [(2, True), (4, True)]


def test_a_failed_batch_is_handled_one_by_one_each_acked_alone_before_the_next_batch_goes(clock):
    consumer = RecordingConsumer(batch_size=2)
    acks: list = []
    consumer.fail_batches = True
    deliver(consumer, clock, [FakeMessage(tag, BrokerChannel(), acks) for tag in (1, 2)], every=0.001)
    consumer.settle_batch(block=True)
    assert consumer.singles == [1, 2]
    assert acks == [(1, False), (2, False)]


def test_a_batch_gathered_once_stopping_is_left_unacked_for_redelivery(clock):
    consumer = RecordingConsumer(batch_size=2)
    acks: list = []
    consumer.stop()
    deliver(consumer, clock, [FakeMessage(tag, BrokerChannel(), acks) for tag in (1, 2)], every=0.001)
    consumer.settle_batch(block=True)
    assert consumer.batches == [] and acks == []


def test_a_batch_that_meets_the_database_away_waits_and_commits_whole_instead_of_one_by_one(clock):
    consumer = RecordingConsumer(batch_size=2)
    acks: list = []
    consumer.database_away_for = 2
    deliver(consumer, clock, [FakeMessage(tag, BrokerChannel(), acks) for tag in (1, 2)], every=0.001)
    consumer.settle_batch(block=True)
    assert consumer.batches == [[1, 2]] and consumer.singles == []
    assert acks == [(2, True)]


def test_a_batch_that_meets_the_database_away_while_stopping_is_left_unacked(clock):
    consumer = RecordingConsumer(batch_size=2)
    acks: list = []
    consumer.database_away_for = 1
    consumer.release.clear()
    deliver(consumer, clock, [FakeMessage(tag, BrokerChannel(), acks) for tag in (1, 2)], every=0.001)
    consumer.stop()
    consumer.release.set()
    consumer.settle_batch(block=True)
    assert consumer.batches == [] and consumer.singles == [] and acks == []
