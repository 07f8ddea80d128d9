"""A worker process for the fault tests, which kill it with SIGKILL at the worst moments on purpose.

`python fault_worker.py '<json>'` runs one role until SIGTERM:
- consumer: the real EventConsumer with the fault service's handler (or reporting's real handlers); with
  `kill_after`, it kills itself right after committing one of those events and before acknowledging it,
  once per event (a marker file remembers, so the redelivery after the restart goes through).
- relay: the real OutboxRelay; with `die_before_mark`, it kills itself after the broker confirmed a batch
  and before the UPDATE that marks the batch's outbox rows published.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.sql.dml import Update

from crm_shared.bus.connection import connect
from crm_shared.bus.consumer import EventConsumer
from crm_shared.bus.relay import OutboxRelay
from crm_shared.bus.topology import Topology
from crm_shared.db import make_engine, make_session_factory
from crm_shared.uow import UnitOfWork

import fault_service


class ConsumerThatDiesBeforeAck(EventConsumer):
    """Kills its own process after the effects of a chosen event committed, before the ack is sent."""

    def __init__(self, *args, kill_after: set[str], marker_dir: Path, duplicates_log: Path, **kwargs):
        super().__init__(*args, **kwargs)
        self.kill_after = kill_after
        self.marker_dir = marker_dir
        self.duplicates_log = duplicates_log

    def handle(self, envelope, handler) -> bool:
        first = super().handle(envelope, handler)
        if first:
            self._die_if_chosen([envelope])
        else:
            self._log_duplicates([envelope.id])
        return first

    def handle_many(self, batch) -> None:
        before = self.duplicates
        super().handle_many(batch)
        if self.duplicates > before:
            self._log_duplicates([f"(batch of {len(batch)})"] * (self.duplicates - before))
        self._die_if_chosen([envelope for envelope, _ in batch])

    def _log_duplicates(self, ids: list[str]) -> None:
        with open(self.duplicates_log, "a", encoding="utf-8") as log:
            log.writelines(f"{event_id}\n" for event_id in ids)

    def _die_if_chosen(self, envelopes) -> None:
        for envelope in envelopes:
            marker = self.marker_dir / envelope.id
            if envelope.id in self.kill_after and not marker.exists():
                marker.touch()
                os.kill(os.getpid(), signal.SIGKILL)


def run_consumer(config: dict, stop: threading.Event) -> None:
    engine = make_engine(config["database_url"])
    session_factory = make_session_factory(engine)
    if config["handler"] == "reporting":
        from reporting.handlers import HANDLERS
        from reporting.uow import ReportingUnitOfWork

        handlers, uow_factory = HANDLERS, lambda: ReportingUnitOfWork(session_factory)
    else:
        handler = {"effects": fault_service.record_effect, "pairs": fault_service.record_pair}[config["handler"]]
        handlers, uow_factory = {fault_service.EVENT: handler}, lambda: UnitOfWork(session_factory)
    consumer = ConsumerThatDiesBeforeAck(
        connect(config["bus_url"]),
        Topology(exchange_name=config["exchange"]),
        config["name"],
        handlers,
        uow_factory,
        batch_size=config.get("batch_size", 1),
        kill_after=set(config.get("kill_after", [])),
        marker_dir=Path(config["marker_dir"]),
        duplicates_log=Path(config["duplicates_log"]),
    )
    consumer.run_until(stop)
    consumer.connection.release()
    engine.dispose()


def run_relay(config: dict, stop: threading.Event) -> None:
    engine = make_engine(config["database_url"])
    if config.get("die_before_mark"):
        @event.listens_for(engine, "before_execute")
        def die_before_marking(_connection, statement, *_args):
            # The relay publishes the whole batch with confirms, then marks it: this is that mark.
            if isinstance(statement, Update) and statement.table.name == "outbox":
                os.kill(os.getpid(), signal.SIGKILL)

    bus_url = config["bus_url"]
    relay = OutboxRelay(engine, lambda: connect(bus_url), Topology(exchange_name=config["exchange"]),
                        batch_size=config.get("batch_size", 500))
    relay.run(stop)
    engine.dispose()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(levelname)s %(name)s %(message)s")
    config = json.loads(sys.argv[1])
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    {"consumer": run_consumer, "relay": run_relay}[config["role"]](config, stop)


if __name__ == "__main__":
    main()
