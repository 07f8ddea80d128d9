"""The use case of the customer's timeline: what happened to a customer the viewer may see, page by page."""
from __future__ import annotations

from crm_shared.auth import Identity
from crm_shared.envelope import utc_now
from sales.permissions import readable_customer
from sales.timeline import TimelineEntry
from sales.uow import UowFactory


def customer_timeline(uow_factory: UowFactory, customer_id: str, viewer: Identity, limit: int,
                      offset: int) -> tuple[list[TimelineEntry], int]:
    """Newest first; 404 unless the viewer may see the customer, as for the customer itself."""
    with uow_factory() as uow:
        readable_customer(uow, customer_id, viewer, utc_now())
        return uow.timeline.page(customer_id, limit, offset)
