"""Reactions of the gateway to other services' events: each live event is recorded for the browsers."""
from typing import Callable

from crm_shared.envelope import Envelope
from gateway.live import store
from gateway.live.visibility import LIVE_EVENTS, owners_of
from gateway.uow import GatewayUnitOfWork


def record_live_event(envelope: Envelope, uow: GatewayUnitOfWork) -> None:
    # The owners' teams are looked up here, once per event, not by every stream it is offered to.
    owners = owners_of(envelope.name, envelope.payload)
    owner_team_ids = uow.users.team_ids_of(owners) if owners else []
    store.append(uow.session, envelope, owner_team_ids)


HANDLERS: dict[str, Callable[[Envelope, GatewayUnitOfWork], None]] = {name: record_live_event for name in LIVE_EVENTS}
