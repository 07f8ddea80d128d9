"""Use cases of follow-ups: recording one on a customer you may edit, and paging a customer's or a deal's."""
from __future__ import annotations

from crm_shared.auth import Identity
from crm_shared.envelope import utc_now
from sales.follow_up_events import follow_up_recorded
from sales.follow_ups import FollowUp, check_opportunity_of_customer
from sales.permissions import editable_customer, readable_customer, readable_opportunity
from sales.uow import UowFactory


def record_follow_up(uow_factory: UowFactory, customer_id: str, fields: dict, author: Identity) -> FollowUp:
    """A follow-up on a customer the author may edit, optionally about one of its opportunities."""
    now = utc_now()
    with uow_factory() as uow:
        customer = editable_customer(uow, customer_id, author, now)
        opportunity_id = fields.get("opportunity_id")
        if opportunity_id is not None:
            opportunity = uow.opportunities.get(opportunity_id)
            check_opportunity_of_customer(opportunity.customer_id if opportunity else None, customer.id)
        follow_up = FollowUp.record(
            customer_id=customer.id, author_id=author.user_id, kind=fields["kind"], content=fields["content"],
            now=now, opportunity_id=opportunity_id, outcome=fields.get("outcome"), next_step=fields.get("next_step"),
            next_contact_at=fields.get("next_contact_at"),
        )
        uow.follow_ups.add(follow_up)
        uow.emit(follow_up_recorded(follow_up, customer.owner_id))
        uow.commit()
        return follow_up


def customer_follow_ups(uow_factory: UowFactory, customer_id: str, viewer: Identity, limit: int,
                        offset: int) -> tuple[list[FollowUp], int]:
    """The customer's follow-ups, newest first; 404 unless the viewer may see the customer."""
    with uow_factory() as uow:
        readable_customer(uow, customer_id, viewer, utc_now())
        return uow.follow_ups.page(customer_id=customer_id, limit=limit, offset=offset)


def opportunity_follow_ups(uow_factory: UowFactory, opportunity_id: str, viewer: Identity, limit: int,
                           offset: int) -> tuple[list[FollowUp], int]:
    """The follow-ups about one deal, newest first; 404 unless the viewer may see its customer."""
    with uow_factory() as uow:
        readable_opportunity(uow, opportunity_id, viewer, utc_now())
        return uow.follow_ups.page(opportunity_id=opportunity_id, limit=limit, offset=offset)
