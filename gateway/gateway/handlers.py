"""Reactions of the gateway to other services' events: each live event is recorded for the browsers."""
from typing import Callable

from crm_shared.envelope import Envelope
from gateway.live import store
from gateway.live.visibility import LIVE_EVENTS
from gateway.uow import GatewayUnitOfWork


def record_live_event(envelope: Envelope, uow: GatewayUnitOfWork) -> None:
    store.append(uow.session, envelope)


HANDLERS: dict[str, Callable[[Envelope, GatewayUnitOfWork], None]] = {name: record_live_event for name in LIVE_EVENTS}
