"""A service's worker process: the event consumer, the outbox relay and the timed jobs, together."""
from __future__ import annotations

import logging
import signal
import threading
from typing import Callable, Mapping, Sequence

from sqlalchemy import Engine

from crm_shared.bus.connection import connect
from crm_shared.bus.consumer import EventConsumer, Handler
from crm_shared.bus.relay import OutboxRelay
from crm_shared.bus.topology import Topology
from crm_shared.scheduler import Scheduler, TimedJob
from crm_shared.settings import Settings
from crm_shared.uow import UnitOfWork

log = logging.getLogger(__name__)


def run_worker(
    *,
    settings: Settings,
    engine: Engine,
    uow_factory: Callable[[], UnitOfWork],
    handlers: Mapping[str, Handler],
    jobs: list[TimedJob] | None = None,
    background: Sequence[Callable[[threading.Event], None]] = (),
    stop: threading.Event | None = None,
    consumer_batch_size: int = 1,
) -> None:
    """Run until SIGTERM or SIGINT (or `stop` is set); each part retries its own failures.

    `background`: loops of the service's own, each run in a thread of its own until `stop` is set.
    `consumer_batch_size`: events handled per transaction (see EventConsumer), for read models fed fast.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    topology = Topology.from_settings(settings)
    relay = OutboxRelay(engine, lambda: connect(settings.bus_url), topology, poll_seconds=settings.relay_poll_seconds)
    scheduler = Scheduler(engine, jobs or [])
    threads = [
        threading.Thread(target=relay.run, args=(stop,), name=f"{settings.service}-relay", daemon=True),
        threading.Thread(target=scheduler.run, args=(stop,), name=f"{settings.service}-scheduler", daemon=True),
        *(threading.Thread(target=loop, args=(stop,), name=f"{settings.service}-background-{number}", daemon=True)
          for number, loop in enumerate(background)),
    ]
    for thread in threads:
        thread.start()
    log.info("%s worker started: %d handlers, %d timed jobs", settings.service, len(handlers), len(jobs or []))
    if handlers:
        consumer = EventConsumer(
            connect(settings.bus_url),
            topology,
            settings.service,
            handlers,
            uow_factory,
            attempts=settings.handler_attempts,
            batch_size=consumer_batch_size,
        )
        consumer.run_until(stop)
    else:
        stop.wait()
    for thread in threads:
        thread.join(timeout=10)
    log.info("%s worker stopped", settings.service)
