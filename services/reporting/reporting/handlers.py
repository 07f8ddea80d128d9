"""Reactions of reporting to every event it consumes: functions of (event, unit of work)."""
from typing import Callable

from crm_shared.envelope import Envelope
from reporting import projections
from reporting.uow import ReportingUnitOfWork


def record(envelope: Envelope, uow: ReportingUnitOfWork) -> None:
    """Archive the event and project it onto every read model, in the consumer's transaction."""
    # Archive first: a rebuild holds appends to the archive, so a live event then waits before it
    # touches any read model, and is counted once, on top of the rebuilt numbers.
    if uow.archive.append(envelope):
        projections.apply(envelope, uow.session)


HANDLERS: dict[str, Callable[[Envelope, ReportingUnitOfWork], None]] = {
    name: record for name in projections.consumed_events()
}
