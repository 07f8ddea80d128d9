"""Use cases of the pipeline: edits, stage moves and product lines of an opportunity; the kanban and the forecast."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from crm_shared.auth import Identity
from crm_shared.envelope import utc_now
from crm_shared.errors import APIError
from crm_shared.versioning import check_version, stale_write_refused
from sales.catalogue import LineInput, priced_lines, total_of
from sales.events import OpportunityUpdated
from sales.opportunities import Opportunity
from sales.permissions import editable_opportunity, readable_opportunity, team_owners
from sales.pipeline import ForecastRow, Pipeline, Stage, StageChange, UnknownStage, forecast, stage_totals
from sales.pipeline_repository import BoardQuery
from sales.uow import SalesUnitOfWork, UowFactory


def _with_lines(uow: SalesUnitOfWork, opportunity: Opportunity) -> Opportunity:
    opportunity.lines = uow.lines.of_opportunity(opportunity.id)
    return opportunity


def edit_opportunity(uow_factory: UowFactory, opportunity_id: str, changes: dict, expected_version: int,
                     editor: Identity) -> Opportunity:
    """Change an open deal's name, amount, currency, close date, competitor or source, if unchanged since read."""
    now = utc_now()
    with stale_write_refused("opportunity"), uow_factory() as uow:
        opportunity, _ = editable_opportunity(uow, opportunity_id, editor, now)
        check_version("opportunity", expected_version, opportunity.version)
        opportunity.edit(changes, editor.user_id, now, has_lines=bool(uow.lines.of_opportunity(opportunity.id)))
        opportunity.events.append(OpportunityUpdated(opportunity, sorted(changes), editor.user_id, now))
        uow.commit()
        return _with_lines(uow, opportunity)


def move_stage(uow_factory: UowFactory, opportunity_id: str, stage_key: str, reason: str | None,
               expected_version: int, mover: Identity) -> Opportunity:
    """Move an open deal to another stage (the won or lost stage closes it; lost needs a reason)."""
    now = utc_now()
    with stale_write_refused("opportunity"), uow_factory() as uow:
        opportunity, customer = editable_opportunity(uow, opportunity_id, mover, now)
        check_version("opportunity", expected_version, opportunity.version)
        try:
            stage = uow.stages.pipeline().stage(stage_key)
        except UnknownStage as error:
            raise APIError(422, "validation_failed", str(error), {"stage": [str(error)]}) from error
        opportunity.move_to(stage, customer, mover.user_id, now, reason)
        uow.commit()
        return _with_lines(uow, opportunity)


def replace_lines(uow_factory: UowFactory, opportunity_id: str, lines: list[LineInput], expected_version: int,
                  editor: Identity) -> Opportunity:
    """The deal's product lines become `lines` (priced from the catalogue unless given); its amount is their total."""
    now = utc_now()
    with stale_write_refused("opportunity"), uow_factory() as uow:
        opportunity, _ = editable_opportunity(uow, opportunity_id, editor, now)
        check_version("opportunity", expected_version, opportunity.version)
        priced, currency = priced_lines(lines, uow.products.with_ids(line.product_id for line in lines))
        opportunity.lines_replaced(total_of(priced), currency, editor.user_id, now)
        opportunity.events.append(OpportunityUpdated(opportunity, ["lines", "amount"], editor.user_id, now))
        uow.lines.replace(opportunity.id, priced)
        uow.commit()
        return _with_lines(uow, opportunity)


def stage_history(uow_factory: UowFactory, opportunity_id: str, viewer: Identity) -> list[StageChange]:
    with uow_factory() as uow:
        readable_opportunity(uow, opportunity_id, viewer, utc_now())
        return uow.stage_history.of_opportunity(opportunity_id)


def pipeline_stages(uow_factory: UowFactory) -> list[Stage]:
    with uow_factory() as uow:
        return list(uow.stages.pipeline().stages)


def configure_pipeline(uow_factory: UowFactory, stages: list[dict]) -> list[Stage]:
    """Replace the pipeline's stages (in the given order); a stage that still holds open deals cannot go."""
    keys = [stage["key"] for stage in stages]
    if len(set(keys)) != len(keys):
        raise APIError(422, "validation_failed", "Each stage key appears once.", {"stages": ["Duplicate key."]})
    try:
        pipeline = Pipeline(tuple(Stage(position=i + 1, **stage) for i, stage in enumerate(stages)))
    except ValueError as error:
        raise APIError(422, "validation_failed", f"The pipeline is not valid: {error}.", {"stages": [str(error)]}) from error
    with uow_factory() as uow:
        removed = {s.key for s in uow.stages.pipeline().stages} - set(keys)
        in_use = uow.stages.open_deals_in(removed)
        if in_use:
            raise APIError(409, "stage_in_use", "Move the open deals out of these stages before removing them: "
                           + ", ".join(f"{key} ({count})" for key, count in sorted(in_use.items())) + ".",
                           {"stages": sorted(in_use)})
        uow.stages.replace(pipeline)
        uow.audit_change("pipeline", "stages", "replaced", {"stages": stages})
        uow.commit()
        return list(pipeline.stages)


@dataclass(frozen=True)
class BoardFilter:
    """What a kanban or forecast request asks for: a rep (`owner`), a team, a customer, a close-date window."""

    owner_id: str | None = None
    team_id: str | None = None
    customer_id: str | None = None
    close_from: date | None = None
    close_to: date | None = None


def _board_query(uow: SalesUnitOfWork, wanted: BoardFilter, viewer: Identity) -> BoardQuery:
    query = BoardQuery(visible=uow.permissions.customer_condition(viewer, utc_now()), customer_id=wanted.customer_id,
                       close_from=wanted.close_from, close_to=wanted.close_to)
    if wanted.owner_id:
        query = replace(query, owner_ids=[wanted.owner_id])
    if wanted.team_id:
        query = replace(query, team_members=team_owners(uow, wanted.team_id))
    return query


@dataclass(frozen=True)
class KanbanColumn:
    """One kanban column: the stage, how many deals and how much in it (per currency), the first deals."""

    stage: Stage
    count: int
    totals: dict[str, Decimal]
    items: list[Opportunity]


def kanban(uow_factory: UowFactory, wanted: BoardFilter, viewer: Identity, per_column: int,
           include_closed: bool = False) -> list[KanbanColumn]:
    """The viewer's visible deals by stage, in pipeline order; the end stages only if asked for."""
    with uow_factory() as uow:
        query = replace(_board_query(uow, wanted, viewer), open_only=not include_closed)
        counts = uow.board.counts_by_stage(query)
        totals = stage_totals(uow.board.amounts(query))
        columns = []
        for stage in uow.stages.pipeline().stages:
            if stage.terminal and not include_closed:
                continue
            items = uow.board.in_stage(query, stage.key, per_column) if counts.get(stage.key) else []
            columns.append(KanbanColumn(stage, counts.get(stage.key, 0), dict(sorted(totals.get(stage.key, {}).items())), items))
        return columns


def list_deals(uow_factory: UowFactory, wanted: BoardFilter, viewer: Identity, *, status: str | None,
               stage: str | None, limit: int, offset: int) -> tuple[list[Opportunity], int]:
    """The deals the viewer may see, filtered and paged in SQL (a kanban column's next page, a rep's open deals)."""
    with uow_factory() as uow:
        query = replace(_board_query(uow, wanted, viewer), open_only=False, status=status, stage=stage)
        return uow.board.page(query, limit, offset)


def weighted_forecast(uow_factory: UowFactory, wanted: BoardFilter, viewer: Identity,
                      per_owner: bool = False) -> list[ForecastRow]:
    """Open deals by expected close month: amount and amount × stage probability, per currency (and rep)."""
    with uow_factory() as uow:
        query = _board_query(uow, wanted, viewer)
        return forecast(uow.board.open_deals(query), uow.stages.pipeline(), per_owner)
