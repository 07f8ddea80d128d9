"""Scheduled reports: their use cases, and the job that runs each due one for every recipient in that recipient's scope.

A run computes the report once per recipient with the scope the directory copy gives that person (roles
and teams), never its author's: a manager's schedule sent to a rep gives the rep the rep's own records.
Each recipient's files go to the `report_files` archive and one `reporting.report.generated.v1` event says
they are ready, in the same transaction as the claim of the due time.
"""
from __future__ import annotations

import dataclasses
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Iterator, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm_shared.auth import ADMIN, Identity
from crm_shared.envelope import Envelope, format_time, utc_now
from crm_shared.errors import APIError
from crm_shared.scheduler import Every, TimedJob
from crm_shared.versioning import VersionMismatch
from reporting import charts, exports
from reporting.config import reporting_time_zone
from reporting.db import directory, directory_team_names, report_files, report_runs, report_schedules, saved_reports
from reporting.events import REPORT_GENERATED
from reporting.report_query import compile_report
from reporting.report_service import check_layout, compute, draw, export_columns, export_rows, filename_for
from reporting.report_store import may_read
from reporting.schedules import CHART_FORMATS, InvalidSchedule, Recurrence, recurrence_of, time_of_day, time_zone
from reporting.scopes import scope_of
from reporting.uow import ReportingUnitOfWork

log = logging.getLogger(__name__)

UowFactory = Callable[[], ReportingUnitOfWork]
JOB_NAME = "reporting.scheduled_reports"
EVERY_MINUTE = Every(timedelta(minutes=1))
# A scheduled file is made in memory and kept in the database: each export stops here (and says so).
EXPORT_ROW_CAP = 100_000
DUE_PER_TICK = 100  # more wait for the next minute rather than hold one tick for long
SCHEDULED, MANUAL = "schedule", "manual"
DELIVERED, NOBODY, REPORT_DELETED, FAILED = "delivered", "nobody", "report_deleted", "failed"
REPORT_DELETED_REASON = "The report was deleted, so the schedule was turned off."
MEDIA_TYPES = {
    "xlsx": exports.XLSX_MEDIA_TYPE,
    "csv": exports.CSV_MEDIA_TYPE,
    "png": charts.PNG_MEDIA_TYPE,
    "svg": charts.SVG_MEDIA_TYPE,
}


class ScheduleNotFound(APIError):
    def __init__(self):
        super().__init__(404, "not_found", "No report schedule with that id that you own.")


class FileNotFound(APIError):
    def __init__(self):
        super().__init__(404, "not_found", "No report file with that id that was sent to you.")


def file_url(file_id: str) -> str:
    return f"/api/v1/report-files/{file_id}"


# --- schedules ------------------------------------------------------------------------------------------

def _may_manage(row, identity: Identity) -> bool:
    return row.owner_id == identity.user_id or identity.has_any(ADMIN)


def _schedule_row(session: Session, schedule_id: str, identity: Identity, *, for_update: bool = False):
    statement = select(report_schedules).where(report_schedules.c.schedule_id == schedule_id)
    row = session.execute(statement.with_for_update() if for_update else statement).first()
    if row is None or not _may_manage(row, identity):
        raise ScheduleNotFound()
    return row


def recurrence_of_row(row) -> Recurrence:
    """The recurrence a stored schedule describes (checked when it was saved)."""
    return Recurrence(
        row.frequency,
        time_zone(row.time_zone),
        time_of_day=time_of_day(row.time_of_day) if row.time_of_day else None,
        weekday=row.weekday,
        day_of_month=row.day_of_month,
        cron=row.cron,
    )


def _check_recipients(session: Session, user_ids: list[str], team_ids: list[str]) -> None:
    if not user_ids and not team_ids:
        raise InvalidSchedule("recipient_user_ids", "add at least one user or team to send the report to")
    users = directory.users
    active = set(session.scalars(select(users.c.user_id).where(users.c.user_id.in_(sorted(set(user_ids))), users.c.active)))
    for user_id in user_ids:
        if user_id not in active:
            raise InvalidSchedule("recipient_user_ids", f"no active user with id {user_id}")
    known_teams = set(
        session.scalars(select(directory.user_teams.c.team_id).where(directory.user_teams.c.team_id.in_(sorted(set(team_ids)))))
    ) | set(session.scalars(select(directory_team_names.c.team_id).where(directory_team_names.c.team_id.in_(sorted(set(team_ids))))))
    for team_id in team_ids:
        if team_id not in known_teams:
            raise InvalidSchedule("recipient_team_ids", f"no team with id {team_id}")


def _checked_values(session: Session, identity: Identity, values: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The columns of a schedule made of `values`, each checked; 400 naming the field otherwise."""
    report = session.execute(select(saved_reports).where(saved_reports.c.report_id == values["report_id"])).first()
    if report is None or not may_read(report, identity):
        raise InvalidSchedule("report_id", "no saved report with that id that you may see")
    zone_name = values.get("time_zone") or reporting_time_zone().key
    recurrence = recurrence_of({**values, "time_zone": zone_name})
    formats = list(dict.fromkeys(values["formats"]))
    if set(formats) & set(CHART_FORMATS) and (report.layout or {}).get("type") != "chart":
        raise InvalidSchedule("formats", "png and svg are for reports laid out as a chart; choose xlsx or csv")
    user_ids = list(dict.fromkeys(values.get("recipient_user_ids") or []))
    team_ids = list(dict.fromkeys(values.get("recipient_team_ids") or []))
    _check_recipients(session, user_ids, team_ids)
    parameters = dict(values.get("parameters") or {})
    # Refuses unknown or ill-typed run-time filter values now, naming them, rather than at 3 a.m.
    check_layout(report.layout or {}, compile_report(report.definition, scope_of(identity), zone=recurrence.zone, parameters=parameters).columns)
    active = values.get("active", True)
    return {
        "report_id": report.report_id,
        "frequency": recurrence.frequency,
        "time_of_day": recurrence.time_of_day.strftime("%H:%M") if recurrence.time_of_day else None,
        "weekday": recurrence.weekday,
        "day_of_month": recurrence.day_of_month,
        "cron": recurrence.cron,
        "time_zone": zone_name,
        "formats": formats,
        "recipient_user_ids": user_ids,
        "recipient_team_ids": team_ids,
        "parameters": parameters,
        "active": active,
        "inactive_reason": None,
        "next_run_at": recurrence.next_after(now) if active else None,
    }


def _schedule_view(session: Session, row) -> dict:
    view = dict(row._mapping)
    view["report_name"] = session.scalar(select(saved_reports.c.name).where(saved_reports.c.report_id == row.report_id))
    return view


def list_schedules(uow_factory: UowFactory, identity: Identity, report_id: str | None = None) -> list[dict]:
    with uow_factory() as uow:
        statement = select(report_schedules).order_by(report_schedules.c.created_at, report_schedules.c.schedule_id)
        if not identity.has_any(ADMIN):
            statement = statement.where(report_schedules.c.owner_id == identity.user_id)
        if report_id:
            statement = statement.where(report_schedules.c.report_id == report_id)
        return [_schedule_view(uow.session, row) for row in uow.session.execute(statement)]


def get_schedule(uow_factory: UowFactory, identity: Identity, schedule_id: str) -> dict:
    with uow_factory() as uow:
        return _schedule_view(uow.session, _schedule_row(uow.session, schedule_id, identity))


def create_schedule(uow_factory: UowFactory, identity: Identity, values: Mapping[str, Any]) -> dict:
    """Schedule a report the caller may read; it will run for each recipient with the recipient's scope."""
    now = utc_now()
    schedule_id = str(uuid.uuid4())
    with uow_factory() as uow:
        checked = _checked_values(uow.session, identity, values, now)
        uow.session.execute(
            report_schedules.insert().values(
                schedule_id=schedule_id, owner_id=identity.user_id, created_at=now, updated_at=now, version=1, **checked
            )
        )
        uow.commit()
    return get_schedule(uow_factory, identity, schedule_id)


def change_schedule(uow_factory: UowFactory, identity: Identity, schedule_id: str, version: int, values: Mapping[str, Any]) -> dict:
    now = utc_now()
    with uow_factory() as uow:
        row = _schedule_row(uow.session, schedule_id, identity)
        checked = _checked_values(uow.session, identity, values, now)
        changed = uow.session.execute(
            update(report_schedules)
            .where(report_schedules.c.schedule_id == schedule_id, report_schedules.c.version == version)
            .values(**checked, updated_at=now, version=report_schedules.c.version + 1)
        )
        if changed.rowcount != 1:
            raise VersionMismatch("report schedule", row.version)
        uow.commit()
    return get_schedule(uow_factory, identity, schedule_id)


def delete_schedule(uow_factory: UowFactory, identity: Identity, schedule_id: str, version: int) -> None:
    """Delete a schedule; the files it already made stay with their recipients."""
    with uow_factory() as uow:
        row = _schedule_row(uow.session, schedule_id, identity)
        removed = uow.session.execute(
            report_schedules.delete().where(report_schedules.c.schedule_id == schedule_id, report_schedules.c.version == version)
        )
        if removed.rowcount != 1:
            raise VersionMismatch("report schedule", row.version)
        uow.commit()


def list_runs(uow_factory: UowFactory, identity: Identity, schedule_id: str, limit: int = 50) -> list[dict]:
    with uow_factory() as uow:
        _schedule_row(uow.session, schedule_id, identity)
        rows = uow.session.execute(
            select(report_runs).where(report_runs.c.schedule_id == schedule_id)
            .order_by(report_runs.c.ran_at.desc(), report_runs.c.run_id).limit(limit)
        )
        return [dict(row._mapping) for row in rows]


# --- running ----------------------------------------------------------------------------------------------

class _Capped:
    """Rows up to `cap`, reading (not yielding) one more to learn whether the export was cut."""

    def __init__(self, rows: Iterable[dict], cap: int):
        self.rows = rows
        self.cap = cap
        self.count = 0
        self.capped = False

    def __iter__(self) -> Iterator[dict]:
        for row in self.rows:  # read to the end: the statement is limited to cap + 1, and the cursor closes
            if self.count == self.cap:
                self.capped = True
                continue
            self.count += 1
            yield row


@dataclasses.dataclass(frozen=True)
class _File:
    format: str
    content: bytes
    rows: int
    capped: bool


def _spreadsheet(session: Session, report, identity: Identity, zone: ZoneInfo, parameters: Mapping, fmt: str, now: datetime) -> _File:
    compiled = compile_report(report.definition, scope_of(identity), zone=zone, parameters=parameters, today=now.astimezone(zone).date())
    check_layout(report.layout, compiled.columns)
    columns = export_columns(compiled, report.layout)
    limited = dataclasses.replace(compiled, statement=compiled.statement.limit(EXPORT_ROW_CAP + 1))
    rows = _Capped(export_rows(session, limited, columns), EXPORT_ROW_CAP)
    if fmt == "xlsx":
        content = b"".join(exports.stream_xlsx(columns, rows, sheet_title=report.name))
    else:
        content = b"".join(exports.stream_csv(columns, rows))
    return _File(fmt, content, rows.count, rows.capped)


def _files_for(session: Session, schedule, report, identity: Identity, now: datetime) -> list[_File]:
    """Every format of the report as `identity` sees it (their scope only)."""
    zone = time_zone(schedule.time_zone)
    parameters = schedule.parameters or {}
    files, result = [], None
    for fmt in schedule.formats:
        if fmt in CHART_FORMATS:
            if result is None:
                result = compute(session, report.definition, report.layout, scope_of(identity), zone, parameters, today=now.astimezone(zone).date())
            files.append(_File(fmt, draw(report.name, result, fmt), len(result["rows"]), False))
        else:
            files.append(_spreadsheet(session, report, identity, zone, parameters, fmt, now))
    return files


def _filename(name: str, day: str, file: _File) -> str:
    cut = f" first {EXPORT_ROW_CAP} rows" if file.capped else ""
    return filename_for(f"{name[:60]} {day}{cut}", file.format)


def _recipients(session: Session, schedule) -> tuple[list[Identity], list[dict]]:
    """Each recipient as the directory copy has them now (roles, teams); who is skipped, and why."""
    users, user_teams = directory.users, directory.user_teams
    wanted = list(schedule.recipient_user_ids or [])
    skipped: list[dict] = []
    team_ids = sorted(set(schedule.recipient_team_ids or []))
    if team_ids:
        members = session.execute(
            select(user_teams.c.user_id, user_teams.c.team_id).where(user_teams.c.team_id.in_(team_ids)).order_by(user_teams.c.user_id)
        ).all()
        found = {team for _, team in members}
        skipped += [{"team_id": team, "reason": "nobody is in this team"} for team in team_ids if team not in found]
        wanted += [user for user, _ in members]
    wanted = sorted(set(wanted))
    known = {row.user_id: row for row in session.execute(select(users).where(users.c.user_id.in_(wanted)))}
    teams_of: dict[str, set[str]] = {}
    for user_id, team_id in session.execute(select(user_teams.c.user_id, user_teams.c.team_id).where(user_teams.c.user_id.in_(wanted))):
        teams_of.setdefault(user_id, set()).add(team_id)
    identities = []
    for user_id in wanted:
        row = known.get(user_id)
        if row is None:
            skipped.append({"recipient_id": user_id, "reason": "not in the user directory"})
        elif not row.active:
            skipped.append({"recipient_id": user_id, "reason": "the user is deactivated"})
        else:
            identities.append(Identity(user_id, row.username, frozenset(row.roles or []), frozenset(teams_of.get(user_id, ()))))
    return identities, skipped


def _record_run(session: Session, schedule, run_id: str, trigger: str, due_at: datetime | None, ran_at: datetime,
                outcome: str, delivered: list[str], skipped: list[dict]) -> dict:
    run = {
        "run_id": run_id, "schedule_id": schedule.schedule_id, "report_id": schedule.report_id, "trigger": trigger,
        "due_at": due_at, "ran_at": ran_at, "outcome": outcome, "delivered_to": delivered, "skipped": skipped,
    }
    session.execute(report_runs.insert().values(**run))
    session.execute(update(report_schedules).where(report_schedules.c.schedule_id == schedule.schedule_id).values(last_run_at=ran_at))
    return run


def _run(uow: ReportingUnitOfWork, schedule, *, trigger: str, due_at: datetime | None, now: datetime) -> dict:
    """Make and archive every recipient's files and announce each recipient's; the caller commits.

    `now` is the moment the report is as of (the due time, for the job): its "today" and its files' date.
    """
    session = uow.session
    run_id = str(uuid.uuid4())
    generated_at = utc_now()
    report = session.execute(select(saved_reports).where(saved_reports.c.report_id == schedule.report_id)).first()
    if report is None:
        session.execute(
            update(report_schedules).where(report_schedules.c.schedule_id == schedule.schedule_id).values(
                active=False, inactive_reason=REPORT_DELETED_REASON, next_run_at=None, updated_at=generated_at,
                version=report_schedules.c.version + 1,
            )
        )
        return _record_run(session, schedule, run_id, trigger, due_at, generated_at, REPORT_DELETED, [], [{"reason": REPORT_DELETED_REASON}])
    identities, skipped = _recipients(session, schedule)
    delivered = []
    day = now.astimezone(time_zone(schedule.time_zone)).date().isoformat()
    for identity in identities:
        try:
            made = _files_for(session, schedule, report, identity, now)
        except APIError as error:  # e.g. a field the report uses was removed since: this person gets nothing, and why
            skipped.append({"recipient_id": identity.user_id, "reason": error.message})
            continue
        announced = []
        for file in made:
            file_id = str(uuid.uuid4())
            filename = _filename(report.name, day, file)
            session.execute(report_files.insert().values(
                file_id=file_id, schedule_id=schedule.schedule_id, run_id=run_id, report_id=report.report_id,
                recipient_id=identity.user_id, format=file.format, filename=filename, media_type=MEDIA_TYPES[file.format],
                content=file.content, byte_size=len(file.content), row_count=file.rows, capped=file.capped, created_at=generated_at,
            ))
            announced.append({
                "file_id": file_id, "format": file.format, "filename": filename, "bytes": len(file.content),
                "rows": file.rows, "capped": file.capped, "url": file_url(file_id),
            })
        uow.emit(Envelope.new(REPORT_GENERATED, {
            "schedule_id": schedule.schedule_id, "run_id": run_id, "report_id": report.report_id, "report_name": report.name,
            "recipient_id": identity.user_id, "files": announced, "generated_at": format_time(generated_at),
        }, producer="reporting", occurred_at=generated_at))
        delivered.append(identity.user_id)
    return _record_run(session, schedule, run_id, trigger, due_at, generated_at, DELIVERED if delivered else NOBODY, delivered, skipped)


def _claim(session: Session, schedule, now: datetime) -> bool:
    """Move the schedule's next run on, if no one else did since it was read: the winner runs this due time."""
    claimed = session.execute(
        update(report_schedules)
        .where(
            report_schedules.c.schedule_id == schedule.schedule_id,
            report_schedules.c.active.is_(True),
            report_schedules.c.next_run_at == schedule.next_run_at,
        )
        .values(next_run_at=recurrence_of_row(schedule).next_after(now))
    )
    return claimed.rowcount == 1


def _run_claimed(uow_factory: UowFactory, schedule_id: str, now: datetime) -> dict | None:
    with uow_factory() as uow:
        schedule = uow.session.execute(select(report_schedules).where(report_schedules.c.schedule_id == schedule_id)).first()
        if schedule is None or not schedule.active or schedule.next_run_at is None or schedule.next_run_at > now:
            return None
        if not _claim(uow.session, schedule, now):
            return None
        run = _run(uow, schedule, trigger=SCHEDULED, due_at=schedule.next_run_at, now=now)
        uow.commit()
        return run


def _record_failure(uow_factory: UowFactory, schedule_id: str, now: datetime, failure: Exception) -> None:
    """Claim the due time anyway and say why it failed, so a broken run is not retried every minute."""
    with uow_factory() as uow:
        schedule = uow.session.execute(select(report_schedules).where(report_schedules.c.schedule_id == schedule_id)).first()
        if schedule is None or schedule.next_run_at is None or schedule.next_run_at > now or not _claim(uow.session, schedule, now):
            return
        _record_run(uow.session, schedule, str(uuid.uuid4()), SCHEDULED, schedule.next_run_at, utc_now(), FAILED, [],
                    [{"reason": f"the run failed: {failure.__class__.__name__}"}])
        uow.commit()


def run_due_schedules(uow_factory: UowFactory, now: datetime) -> list[str]:
    """Run every active schedule due at `now`, each in its own transaction; returns the run ids.

    Safe from several workers at once: each due time is claimed by a conditional UPDATE of `next_run_at`, so
    a second worker finds it moved on (after waiting for the first one's row lock) and runs nothing.
    """
    with uow_factory() as uow:
        due = list(uow.session.scalars(
            select(report_schedules.c.schedule_id)
            .where(report_schedules.c.active.is_(True), report_schedules.c.next_run_at <= now)
            .order_by(report_schedules.c.next_run_at, report_schedules.c.schedule_id)
            .limit(DUE_PER_TICK)
        ))
    ran = []
    for schedule_id in due:
        try:
            run = _run_claimed(uow_factory, schedule_id, now)
        except Exception as failure:
            log.exception("scheduled report %s failed", schedule_id)
            try:
                _record_failure(uow_factory, schedule_id, now, failure)
            except Exception:
                log.exception("could not record the failure of scheduled report %s", schedule_id)
            continue
        if run is not None:
            ran.append(run["run_id"])
    return ran


def run_now(uow_factory: UowFactory, identity: Identity, schedule_id: str) -> dict:
    """Run a schedule at once (its owner or an admin), as the job would; its next scheduled run stays."""
    now = utc_now()
    with uow_factory() as uow:
        schedule = _schedule_row(uow.session, schedule_id, identity, for_update=True)
        run = _run(uow, schedule, trigger=MANUAL, due_at=None, now=now)
        uow.commit()
        return run


def schedule_jobs(uow_factory: UowFactory) -> list[TimedJob]:
    """The worker's timed job: every minute, run the schedules then due."""
    return [TimedJob(JOB_NAME, EVERY_MINUTE, lambda due_at: run_due_schedules(uow_factory, due_at))]


# --- files ------------------------------------------------------------------------------------------------

def _file_view(row) -> dict:
    view = dict(row._mapping)
    view["url"] = file_url(row.file_id)
    return view


def list_files(uow_factory: UowFactory, identity: Identity, *, schedule_id: str | None = None,
               run_id: str | None = None, limit: int = 50) -> list[dict]:
    """The files sent to the viewer (every file for admins), newest first."""
    columns = [c for c in report_files.c if c.key != "content"]
    statement = select(*columns).order_by(report_files.c.created_at.desc(), report_files.c.file_id).limit(limit)
    if not identity.has_any(ADMIN):
        statement = statement.where(report_files.c.recipient_id == identity.user_id)
    if schedule_id:
        statement = statement.where(report_files.c.schedule_id == schedule_id)
    if run_id:
        statement = statement.where(report_files.c.run_id == run_id)
    with uow_factory() as uow:
        return [_file_view(row) for row in uow.session.execute(statement)]


def get_file(uow_factory: UowFactory, identity: Identity, file_id: str):
    """A file with its content: only for its recipient or an admin (anyone else is told there is none)."""
    with uow_factory() as uow:
        row = uow.session.execute(select(report_files).where(report_files.c.file_id == file_id)).first()
    if row is None or not (row.recipient_id == identity.user_id or identity.has_any(ADMIN)):
        raise FileNotFound()
    return row
