"""The use cases of campaigns, materials, their distribution to leads and tracked links: the only place that commits them."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import BinaryIO, Callable, Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from crm_shared.auth import ADMIN, SALES_MANAGER, Identity
from crm_shared.envelope import utc_now
from crm_shared.errors import APIError, NotFound
from leads.campaign_events import clicked_envelope, sent_envelope
from leads.campaigns import (
    FILE,
    Campaign,
    CampaignRuleViolation,
    Delivery,
    LeadSegment,
    Material,
    MaterialClicked,
    send,
)
from leads.campaign_repository import ListedDelivery
from leads.material_files import MaterialStore, clean_file_name
from leads.repository import LeadQuery, lead_conditions
from leads.service import member_of, visible_query
from leads.uow import LeadsUnitOfWork

UowFactory = Callable[[], LeadsUnitOfWork]
# One request sends to at most this many leads; a larger segment is split by narrowing its filters.
MAX_RECIPIENTS = 5000


def _is_manager(identity: Identity) -> bool:
    return identity.has_any(ADMIN, SALES_MANAGER)


def _unknown_link() -> APIError:
    # The same answer for every unknown token: nothing about what exists is given away.
    return APIError(404, "not_found", "This link is not valid.")


def _check_segment(uow: LeadsUnitOfWork, segment: LeadSegment | None) -> None:
    unknown = uow.segment_leads.unknown_pools(segment.pool_ids) if segment else []
    if unknown:
        raise APIError(422, "validation_failed", "The segment names pools that do not exist.",
                       {"segment": {"pool_ids": [f"No pool with id {pool_id}." for pool_id in unknown]}})


def _check_campaign(uow: LeadsUnitOfWork, campaign_id: str | None) -> Campaign | None:
    if campaign_id is None:
        return None
    campaign = uow.campaigns.get(campaign_id)
    if campaign is None:
        raise CampaignRuleViolation("unknown_campaign", "There is no such campaign.",
                                    {"campaign_id": ["No campaign with this id."]})
    return campaign


def _code_taken() -> CampaignRuleViolation:
    return CampaignRuleViolation("campaign_code_taken", "Another campaign already has this code.",
                                 {"code": ["Already used."]})


# -- campaigns -------------------------------------------------------------------------------------


def create_campaign(uow_factory: UowFactory, fields: dict, creator: Identity) -> Campaign:
    try:
        with uow_factory() as uow:
            _check_segment(uow, fields.get("segment"))
            campaign = Campaign.new(
                code=fields["code"], name=fields["name"], channel=fields["channel"], starts_on=fields["starts_on"],
                ends_on=fields["ends_on"], budget=fields["budget"], created_by=creator.user_id, now=utc_now(),
                segment=fields.get("segment"), description=fields.get("description"),
            )
            uow.campaigns.add(campaign)
            # Campaigns and materials publish no events of their own; the audit log keeps who changed them.
            uow.audit_change("campaign", campaign.id, "created", fields)
            uow.commit()
            return campaign
    except IntegrityError as error:
        raise _code_taken() from error


def list_campaigns(uow_factory: UowFactory) -> list[Campaign]:
    with uow_factory() as uow:
        return uow.campaigns.all()


def get_campaign(uow_factory: UowFactory, campaign_id: str) -> Campaign:
    with uow_factory() as uow:
        campaign = uow.campaigns.get(campaign_id)
        if campaign is None:
            raise NotFound("campaign", campaign_id)
        return campaign


def update_campaign(uow_factory: UowFactory, campaign_id: str, changes: dict) -> Campaign:
    try:
        with uow_factory() as uow:
            campaign = uow.campaigns.get(campaign_id)
            if campaign is None:
                raise NotFound("campaign", campaign_id)
            _check_segment(uow, changes.get("segment"))
            campaign.change(changes, utc_now())
            uow.audit_change("campaign", campaign.id, "updated", changes)
            uow.commit()
            return campaign
    except IntegrityError as error:
        raise _code_taken() from error
    except StaleDataError as error:
        raise CampaignRuleViolation("campaign_changed", "Someone else changed this campaign meanwhile; reload and try again.") from error


def delete_campaign(uow_factory: UowFactory, campaign_id: str) -> None:
    with uow_factory() as uow:
        campaign = uow.campaigns.get(campaign_id)
        if campaign is None:
            raise NotFound("campaign", campaign_id)
        if uow.campaigns.has_materials(campaign_id):
            raise CampaignRuleViolation("campaign_in_use", "The campaign still has materials; delete or move them first.")
        uow.campaigns.delete(campaign)
        uow.audit_change("campaign", campaign_id, "deleted", {"code": campaign.code})
        uow.commit()


# -- materials -------------------------------------------------------------------------------------


def create_link_material(uow_factory: UowFactory, fields: dict, creator: Identity) -> Material:
    with uow_factory() as uow:
        _check_campaign(uow, fields.get("campaign_id"))
        material = Material.link(name=fields["name"], url=fields["url"], created_by=creator.user_id, now=utc_now(),
                                 campaign_id=fields.get("campaign_id"), description=fields.get("description"))
        uow.materials.add(material)
        uow.audit_change("material", material.id, "created", fields)
        uow.commit()
        return material


def create_file_material(uow_factory: UowFactory, store: MaterialStore, fields: dict, stream: BinaryIO,
                         file_name: str | None, content_type: str | None, creator: Identity) -> Material:
    """Keep the upload and its row together: the file takes its final name only once the row is committed."""
    material_id = str(uuid.uuid4())
    kind = store.check_type(content_type)
    with uow_factory() as uow:
        _check_campaign(uow, fields.get("campaign_id"))
        _, size = store.receive(material_id, stream, kind)
        try:
            material = Material.file(
                material_id=material_id, name=fields["name"], file_name=clean_file_name(file_name), content_type=kind,
                size_bytes=size, created_by=creator.user_id, now=utc_now(), campaign_id=fields.get("campaign_id"),
                description=fields.get("description"),
            )
            uow.materials.add(material)
            uow.audit_change("material", material.id, "created", {**fields, "file_name": material.file_name})
            uow.commit()
        except BaseException:
            store.discard(material_id)
            raise
    store.keep(material_id)
    return material


def list_materials(uow_factory: UowFactory, campaign_id: str | None = None) -> list[Material]:
    with uow_factory() as uow:
        return uow.materials.all(campaign_id)


def get_material(uow_factory: UowFactory, material_id: str) -> Material:
    with uow_factory() as uow:
        material = uow.materials.get(material_id)
        if material is None:
            raise NotFound("material", material_id)
        return material


def update_material(uow_factory: UowFactory, material_id: str, changes: dict) -> Material:
    try:
        with uow_factory() as uow:
            material = uow.materials.get(material_id)
            if material is None:
                raise NotFound("material", material_id)
            if "campaign_id" in changes:
                _check_campaign(uow, changes["campaign_id"])
            material.change(changes, utc_now())
            uow.audit_change("material", material.id, "updated", changes)
            uow.commit()
            return material
    except StaleDataError as error:
        raise CampaignRuleViolation("material_changed", "Someone else changed this material meanwhile; reload and try again.") from error


def delete_material(uow_factory: UowFactory, store: MaterialStore, material_id: str) -> None:
    """Only a material never sent: its tracked links must keep working."""
    with uow_factory() as uow:
        material = uow.materials.get(material_id)
        if material is None:
            raise NotFound("material", material_id)
        if uow.deliveries.count(material_id):
            raise CampaignRuleViolation("material_has_deliveries",
                                        "This material was sent to leads; its links must keep working, so it stays.")
        uow.materials.delete(material)
        uow.audit_change("material", material_id, "deleted", {"name": material.name})
        uow.commit()
    if material.kind == FILE:
        store.delete(material_id)


def material_file(uow_factory: UowFactory, store: MaterialStore, material_id: str) -> tuple[Material, Path]:
    """A file material and where its bytes are, for someone signed in."""
    material = get_material(uow_factory, material_id)
    if material.kind != FILE:
        raise APIError(404, "not_found", "This material is a link, not a file.")
    return material, store.path(material_id)


# -- distribution and tracking ---------------------------------------------------------------------


def distribute_material(uow_factory: UowFactory, material_id: str, sender: Identity, *,
                        segment: LeadSegment | None = None, lead_ids: Sequence[str] | None = None) -> list[Delivery]:
    """Send a material to a segment's leads or to listed leads: one delivery and one event per lead.

    Managers and admins send to the leads they may see (a manager: their teams' and their pools'); a rep
    only to their own leads (a segment is narrowed to them, a listed lead of someone else's refuses the
    whole request). A listed lead the sender may not see is answered as if it did not exist.
    """
    manager = _is_manager(sender)
    now = utc_now()
    with uow_factory() as uow:
        material = uow.materials.get(material_id)
        if material is None:
            raise NotFound("material", material_id)
        visible, _pools = visible_query(uow, member_of(uow, sender), LeadQuery())
        visibility = lead_conditions(visible)
        if segment is not None:
            if segment.is_empty:
                raise CampaignRuleViolation("segment_empty", "Give the segment at least one filter.",
                                            {"segment": ["At least one filter is needed."]})
            _check_segment(uow, segment)
            recipients = uow.segment_leads.matching(
                segment, None if manager else sender.user_id, MAX_RECIPIENTS + 1, visibility)
            if len(recipients) > MAX_RECIPIENTS:
                raise CampaignRuleViolation(
                    "segment_too_large", f"The segment has more than {MAX_RECIPIENTS} leads; narrow it down.",
                    {"segment": [f"More than {MAX_RECIPIENTS} leads."]})
        else:
            found = uow.segment_leads.by_ids(lead_ids or (), visibility)
            missing = [lead_id for lead_id in lead_ids if lead_id not in found]
            if missing:
                raise NotFound("lead", missing[0])
            others = [lead_id for lead_id in lead_ids if not manager and found[lead_id].owner_id != sender.user_id]
            if others:
                raise CampaignRuleViolation("not_lead_owner", "You can send materials only to your own leads.",
                                            {"lead_ids": others})
            recipients = [found[lead_id] for lead_id in lead_ids]
        campaign = uow.campaigns.get(material.campaign_id) if material.campaign_id else None
        code = campaign.code if campaign else None
        sent = send(material, recipients, sender.user_id, now)
        uow.deliveries.add(event.delivery for event in sent)
        for event in sent:
            uow.emit(sent_envelope(event, code))
        uow.commit()
        return [event.delivery for event in sent]


def deliveries_of(uow_factory: UowFactory, material_id: str, viewer: Identity, limit: int,
                  offset: int) -> tuple[list[ListedDelivery], int]:
    """A material's deliveries: all of them for managers, those to their own leads for a rep.

    Each names its lead's company and contact where the viewer may see the lead (as in the lead list):
    a manager sees that a material went to another team's lead, not whose lead it is.
    """
    with uow_factory() as uow:
        if uow.materials.get(material_id) is None:
            raise NotFound("material", material_id)
        owner = None if _is_manager(viewer) else viewer.user_id
        visible, _pools = visible_query(uow, member_of(uow, viewer), LeadQuery())
        return uow.deliveries.of_material(material_id, owner, limit, offset, lead_conditions(visible))


def track_click(uow_factory: UowFactory, token: str) -> Material:
    """Count a visit of a tracked link and say where it leads; the first click of a delivery is an event."""
    now = utc_now()
    with uow_factory() as uow:
        click = uow.deliveries.record_click(token, now)
        if click is None:
            raise _unknown_link()
        material = uow.materials.get(click.material_id)
        if click.first:
            lead = uow.segment_leads.facts(click.lead_id)
            campaign = uow.campaigns.get(material.campaign_id) if material.campaign_id else None
            event = MaterialClicked(click.delivery_id, material.id, click.lead_id, lead.owner_id, material.campaign_id,
                                    lead.channel, now)
            uow.emit(clicked_envelope(event, campaign.code if campaign else None))
        uow.commit()
        return material


def track_open(uow_factory: UowFactory, token: str) -> None:
    """Count an open of a delivery (its pixel was loaded)."""
    with uow_factory() as uow:
        if not uow.deliveries.record_open(token, utc_now()):
            raise _unknown_link()
        uow.commit()


def tracked_file(uow_factory: UowFactory, store: MaterialStore, token: str) -> tuple[Material, Path]:
    """The file a tracked link leads to; the token is the only key its recipient holds."""
    with uow_factory() as uow:
        delivery = uow.deliveries.find(token)
        material = uow.materials.get(delivery.material_id) if delivery else None
        if material is None or material.kind != FILE:
            raise _unknown_link()
        return material, store.path(material.id)

