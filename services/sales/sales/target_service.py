"""Use cases of targets and departments: set and change a target, list them, and how far each is reached."""
from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from crm_shared.auth import Identity
from crm_shared.envelope import utc_now
from crm_shared.errors import APIError, NotFound
from crm_shared.versioning import check_version, stale_write_refused
from sales.achievement import actuals
from sales.db_targets import sales_targets
from sales.targets import DEPARTMENT, MONEY_METRICS, Period, Target, TargetRuleViolation, achievement_percent
from sales.team_scope import TeamScope
from sales.uow import SalesUnitOfWork, UowFactory


def invalid(field_name: str, error: ValueError) -> APIError:
    return APIError(422, "validation_failed", f"Some fields are not valid. {error}", {field_name: [str(error)]})


def period_of(text: str) -> Period:
    """The period a request names; 422 naming the field otherwise."""
    try:
        return Period.parse(text)
    except ValueError as error:
        raise invalid("period", error) from error


def _not_theirs() -> TargetRuleViolation:
    return TargetRuleViolation("not_your_subject", "Managers set the targets of their own teams and of their teams' "
                                                   "members; admins set every target, departments' included.")


def _exists(target: Target | None = None) -> TargetRuleViolation:
    detail = f" (id {target.id}, version {target.version}): change it instead" if target else ": change it instead"
    return TargetRuleViolation("target_exists",
                               f"This subject already has a target for this metric and period{detail}.")


def set_target(uow_factory: UowFactory, fields: dict, actor: Identity) -> Target:
    """A new target for a rep, a team or a department; one per subject, period and metric."""
    period = period_of(fields["period"])
    kind, subject_id, metric = fields["subject_kind"], fields["subject_id"], fields["metric"]
    with uow_factory() as uow:
        if kind == DEPARTMENT and uow.departments.get(subject_id) is None:
            raise TargetRuleViolation("unknown_department", f"No department with id {subject_id}.",
                                      {"subject_id": ["No such department."]})
        if not TeamScope.of(uow, actor).may_set_target(uow, kind, subject_id):
            raise _not_theirs()
        existing = uow.targets.find(kind, subject_id, period.key, metric)
        if existing is not None:
            raise _exists(existing)
        try:
            target = Target.set(kind, subject_id, period, metric, fields["value"], fields.get("currency"),
                                actor.user_id, utc_now())
        except ValueError as error:
            raise invalid("value", error) from error
        uow.targets.add(target)
        try:
            uow.commit()
        except IntegrityError as error:  # the same target set by someone else a moment ago
            raise _exists() from error
        return target


def _visible_target(uow: SalesUnitOfWork, target_id: str, scope: TeamScope, for_update: bool = False) -> Target:
    condition = scope.targets()
    query = select(sales_targets.c.id).where(sales_targets.c.id == target_id)
    if condition is not None:
        query = query.where(condition)
    target = uow.targets.get(target_id, for_update) if uow.session.execute(query).first() else None
    if target is None:
        raise NotFound("target", target_id)
    return target


def get_target(uow_factory: UowFactory, target_id: str, viewer: Identity) -> Target:
    with uow_factory() as uow:
        return _visible_target(uow, target_id, TeamScope.of(uow, viewer))


def change_target(uow_factory: UowFactory, target_id: str, changes: dict, expected_version: int,
                  actor: Identity) -> Target:
    """A new figure (and currency) for a target, if unchanged since the caller read it."""
    with stale_write_refused("target"), uow_factory() as uow:
        scope = TeamScope.of(uow, actor)
        target = _visible_target(uow, target_id, scope)
        if not scope.may_set_target(uow, target.subject_kind, target.subject_id):
            raise _not_theirs()
        check_version("target", expected_version, target.version)
        try:
            target.change(changes["value"], changes.get("currency", target.currency), actor.user_id, utc_now())
        except ValueError as error:
            raise invalid("value", error) from error
        uow.commit()
        return target


def list_targets(uow_factory: UowFactory, viewer: Identity, **filters) -> list[Target]:
    with uow_factory() as uow:
        return uow.targets.list(TeamScope.of(uow, viewer).targets(), **filters)


def reached(uow: SalesUnitOfWork, targets: list[Target], period: Period) -> list[dict]:
    """Each target with what its subject reached in `period`: one SQL aggregate per subject kind and metric."""
    groups: dict[tuple[str, str], list[Target]] = defaultdict(list)
    for target in targets:
        groups[(target.subject_kind, target.metric)].append(target)
    rows = []
    for (kind, metric), members in groups.items():
        found = actuals(uow.session, metric, period, kind, [t.subject_id for t in members])
        for target in members:
            actual = found.get((target.subject_id, target.currency), Decimal("0.00") if metric in MONEY_METRICS else
                               Decimal(0))
            rows.append({"target": target, "actual": actual, "percent": achievement_percent(actual, target.value)})
    rows.sort(key=lambda r: (r["target"].subject_kind, r["target"].subject_id, r["target"].metric))
    return rows


def achievement(uow_factory: UowFactory, viewer: Identity, period_text: str, subject_kind: str | None = None,
                subject_id: str | None = None) -> tuple[Period, list[dict]]:
    """The targets the viewer sees for a period, each with its actual figure and percent reached."""
    period = period_of(period_text)
    with uow_factory() as uow:
        targets = uow.targets.list(TeamScope.of(uow, viewer).targets(), period=period.key, subject_kind=subject_kind,
                                   subject_id=subject_id)
        return period, reached(uow, targets, period)


# -- departments ------------------------------------------------------------------------------------------


def list_departments(uow_factory: UowFactory) -> list[dict]:
    with uow_factory() as uow:
        return uow.departments.list()


def get_department(uow_factory: UowFactory, department_id: str) -> dict:
    with uow_factory() as uow:
        department = uow.departments.get(department_id)
        if department is None:
            raise NotFound("department", department_id)
        return department


def _check_department(uow: SalesUnitOfWork, name: str, team_ids: list[str], department_id: str | None) -> None:
    if uow.departments.named(name, other_than=department_id):
        raise TargetRuleViolation("department_name_taken", f"A department is already named {name!r}.")
    elsewhere = uow.departments.teams_elsewhere(team_ids, department_id)
    if elsewhere:
        raise TargetRuleViolation("team_in_other_department", "A team belongs to one department at most: "
                                  f"{', '.join(elsewhere)} already belong to another.", {"team_ids": elsewhere})


def _commit_department(uow: SalesUnitOfWork) -> None:
    try:
        uow.commit()
    except IntegrityError as error:  # another admin took the name or a team a moment ago
        raise TargetRuleViolation("department_conflict", "Another change to departments took this name or one of "
                                                         "these teams meanwhile; reload and try again.") from error


def create_department(uow_factory: UowFactory, name: str, team_ids: list[str], actor: Identity) -> dict:
    """A named set of teams whose members' figures add up to the department's."""
    with uow_factory() as uow:
        _check_department(uow, name, team_ids, None)
        department_id = str(uuid.uuid4())
        uow.departments.add(department_id, name, team_ids, actor.user_id, utc_now())
        uow.audit_change("department", department_id, "created", {"name": name, "team_ids": team_ids})
        _commit_department(uow)
        return uow.departments.get(department_id)


def replace_department(uow_factory: UowFactory, department_id: str, name: str, team_ids: list[str],
                       expected_version: int, actor: Identity) -> dict:
    with uow_factory() as uow:
        current = uow.departments.get(department_id)
        if current is None:
            raise NotFound("department", department_id)
        check_version("department", expected_version, current["version"])
        _check_department(uow, name, team_ids, department_id)
        uow.departments.replace(department_id, name, team_ids, expected_version, actor.user_id, utc_now())
        uow.audit_change("department", department_id, "replaced", {"name": name, "team_ids": team_ids})
        _commit_department(uow)
        return uow.departments.get(department_id)
