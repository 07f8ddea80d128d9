"""Rebuild every read model from the event archive: `python -m reporting.rebuild`."""
from __future__ import annotations

import argparse
import logging
import sys

from crm_shared.db import make_engine, make_session_factory
from reporting import projections, service
from reporting.config import load_settings
from reporting.uow import ReportingUnitOfWork

log = logging.getLogger("reporting.rebuild")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reporting.rebuild",
        description="Empty the read models and replay the event archive through the projections, in the "
        "order the events happened. Safe while the worker runs: new events wait and are counted once.",
    )
    parser.add_argument("--batch-size", type=int, default=1000, help="archived events read per query")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = load_settings()
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    try:
        replayed = service.rebuild_read_models(lambda: ReportingUnitOfWork(session_factory), args.batch_size)
    finally:
        engine.dispose()
    names = ", ".join(projection.name for projection in projections.PROJECTIONS)
    log.info("rebuilt %s from %d archived events", names, replayed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
