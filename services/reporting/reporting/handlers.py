"""Reactions of reporting to every event it consumes: archive them, and project the new ones."""
from typing import Sequence

from crm_shared.bus.consumer import BatchHandler
from crm_shared.envelope import Envelope
from reporting import projections
from reporting.uow import ReportingUnitOfWork


def record_all(envelopes: Sequence[Envelope], uow: ReportingUnitOfWork) -> None:
    """Archive the events and project those the archive did not hold yet, in the consumer's transaction.

    Set-based: one multi-row INSERT into the archive, then the batch's changes folded per read-model row
    and written a statement per table (projections.project), in the order the events arrived.
    """
    # Archive first: a rebuild holds appends to the archive, so a live event then waits before it
    # touches any read model, and is counted once, on top of the rebuilt numbers.
    new = uow.archive.append_all(envelopes)
    fresh = []
    for envelope in envelopes:
        if envelope.id in new:
            new.discard(envelope.id)  # an event twice in one batch counts once
            fresh.append(envelope)
    projections.project(fresh, uow.session)


def record(envelope: Envelope, uow: ReportingUnitOfWork) -> None:
    """Archive the event and project it onto every read model, unless the archive already holds it."""
    record_all([envelope], uow)


RECORD = BatchHandler(one=record, many=record_all)

HANDLERS: dict[str, BatchHandler] = {name: RECORD for name in projections.consumed_events()}
