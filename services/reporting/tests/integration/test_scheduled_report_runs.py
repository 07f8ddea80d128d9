"""The scheduled-report job: each recipient's own scope, files archived, one event each, one run per due time."""
from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import select, update

from crm_shared.auth import Identity
from crm_shared.db import outbox
from crm_shared.testing import contract, contract_with
from reporting import report_service, schedule_service
from reporting.db import report_files, report_runs, report_schedules
from reporting.events import REPORT_GENERATED

TEAM_EAST, TEAM_WEST = "e0000000-0000-4000-8000-00000000000e", "f0000000-0000-4000-8000-00000000000f"
REP_A, REP_B, REP_C = "a0000000-0000-4000-8000-00000000000a", "b0000000-0000-4000-8000-00000000000b", "c0000000-0000-4000-8000-00000000000c"
MANAGER, EXECUTIVE = "d0000000-0000-4000-8000-00000000000d", "90000000-0000-4000-8000-000000000009"
PEOPLE = {
    REP_A: ("Ann", ["sales_rep"], [TEAM_EAST]),
    REP_C: ("Cai", ["sales_rep"], [TEAM_EAST]),
    REP_B: ("Bo", ["sales_rep"], [TEAM_WEST]),
    MANAGER: ("Mei", ["sales_manager"], [TEAM_EAST]),
    EXECUTIVE: ("Eve", ["executive"], []),
}
DEALS = [(REP_A, "1000.00"), (REP_A, "2000.50"), (REP_C, "300.00"), (REP_B, "5000.00")]
BY_OWNER = {
    "dataset": "opportunities",
    "dimensions": [{"field": "owner.name", "key": "owner"}],
    "measures": [{"key": "amount", "aggregate": "sum", "field": "amount", "label": "Amount"}],
    "sort": [{"key": "owner"}],
}
CHART = {"type": "chart", "chart": {"type": "bar", "category": "owner", "values": ["amount"]}}


def identity(user_id: str) -> Identity:
    name, roles, teams = PEOPLE[user_id]
    return Identity(user_id, name.lower(), frozenset(roles), frozenset(teams))


def user_event(user_id: str, *, active: bool = True):
    name, roles, teams = PEOPLE[user_id]
    return contract_with(
        "gateway.user.changed.v1", user_id=user_id, username=name.lower(), display_name=name, roles=roles, team_ids=teams,
        teams=[{"id": t, "name": "East" if t == TEAM_EAST else "West"} for t in teams], active=active,
    )


@pytest.fixture
def seeded(deliver):
    for user_id in PEOPLE:
        deliver(user_event(user_id))
    for owner, amount in DEALS:
        customer_id, deal_id = str(uuid.uuid4()), str(uuid.uuid4())
        deliver(contract_with("sales.customer.created.v1", customer_id=customer_id, owner_id=owner, name="Customer"))
        deliver(contract_with("sales.opportunity.opened.v1", opportunity_id=deal_id, customer_id=customer_id, owner_id=owner,
                              amount=amount, name="Deal", stage="qualification"))


@pytest.fixture
def report(uow_factory, seeded):
    """A chart report by the executive, whose own scope is everything."""
    values = {"name": "Deals by owner", "description": "", "definition": BY_OWNER, "layout": CHART, "shared_user_ids": [], "shared_team_ids": []}
    return report_service.save_report(uow_factory, identity(EXECUTIVE), values, schedule_service.reporting_time_zone())


def schedule(uow_factory, report_id, **changes):
    values = {
        "report_id": report_id, "frequency": "daily", "time_of_day": "08:00", "time_zone": "Asia/Shanghai",
        "formats": ["csv", "xlsx", "svg"], "recipient_user_ids": [REP_A, MANAGER], "recipient_team_ids": [],
        "parameters": {}, "active": True, **changes,
    }
    return schedule_service.create_schedule(uow_factory, identity(EXECUTIVE), values)


def files_of(engine, **where) -> list[dict]:
    statement = select(report_files).order_by(report_files.c.recipient_id, report_files.c.format)
    for key, value in where.items():
        statement = statement.where(report_files.c[key] == value)
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(statement).mappings()]


def runs_of(engine, schedule_id) -> list[dict]:
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(select(report_runs).where(report_runs.c.schedule_id == schedule_id)).mappings()]


def generated_events(engine) -> list[dict]:
    with engine.connect() as connection:
        bodies = connection.scalars(select(outbox.c.body).where(outbox.c.name == REPORT_GENERATED).order_by(outbox.c.position))
        return [json.loads(body) for body in bodies]


def csv_owners(content: bytes) -> list[tuple[str, str]]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    return [tuple(row) for row in rows[1:]]


def test_each_recipient_gets_the_report_computed_with_their_own_scope_never_the_authors(uow_factory, engine, report):
    made = schedule(uow_factory, report["report_id"])
    due = made["next_run_at"]

    ran = schedule_service.run_due_schedules(uow_factory, due)

    assert len(ran) == 1
    files = files_of(engine)
    assert {(f["recipient_id"], f["format"]) for f in files} == {(r, fmt) for r in (REP_A, MANAGER) for fmt in ("csv", "xlsx", "svg")}
    by = {(f["recipient_id"], f["format"]): f for f in files}
    # The author (an executive) would see Bo's 5000.00 too; neither recipient does.
    assert csv_owners(by[REP_A, "csv"]["content"]) == [("Ann", "3000.50")]
    assert csv_owners(by[MANAGER, "csv"]["content"]) == [("Ann", "3000.50"), ("Cai", "300.00")]
    sheet = openpyxl.load_workbook(io.BytesIO(by[MANAGER, "xlsx"]["content"])).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Ann", "Cai"]
    assert by[MANAGER, "svg"]["content"].lstrip().startswith(b"<?xml") and b"<svg" in by[MANAGER, "svg"]["content"]
    assert by[REP_A, "csv"]["row_count"] == 1 and by[MANAGER, "xlsx"]["row_count"] == 2
    assert all(f["byte_size"] == len(f["content"]) and not f["capped"] for f in files)
    assert by[REP_A, "csv"]["filename"] == f"Deals_by_owner_{due.astimezone(schedule_service.time_zone('Asia/Shanghai')).date()}.csv"
    [run] = runs_of(engine, made["schedule_id"])
    assert (run["outcome"], sorted(run["delivered_to"]), run["skipped"], run["due_at"]) == ("delivered", sorted([REP_A, MANAGER]), [], due)
    after = schedule_service.get_schedule(uow_factory, identity(EXECUTIVE), made["schedule_id"])
    assert after["next_run_at"] == due + timedelta(days=1) and after["last_run_at"] == run["ran_at"]


def test_one_event_per_recipient_is_in_the_outbox_with_its_files(uow_factory, engine, report):
    made = schedule(uow_factory, report["report_id"], formats=["csv"])
    [run_id] = schedule_service.run_due_schedules(uow_factory, made["next_run_at"])

    events = generated_events(engine)
    assert sorted(e["payload"]["recipient_id"] for e in events) == sorted([REP_A, MANAGER])
    files = {f["recipient_id"]: f for f in files_of(engine)}
    for event in events:
        payload = event["payload"]
        assert event["producer"] == "reporting"
        assert set(payload) == set(contract(REPORT_GENERATED).payload)
        file = files[payload["recipient_id"]]
        assert payload == {
            "schedule_id": made["schedule_id"], "run_id": run_id, "report_id": report["report_id"],
            "report_name": "Deals by owner", "recipient_id": payload["recipient_id"],
            "files": [{
                "file_id": file["file_id"], "format": "csv", "filename": file["filename"], "bytes": file["byte_size"],
                "rows": file["row_count"], "capped": False, "url": f"/api/v1/report-files/{file['file_id']}",
            }],
            "generated_at": payload["generated_at"],
        }
        assert set(payload["files"][0]) == set(contract(REPORT_GENERATED).payload["files"][0])


def test_a_schedule_not_yet_due_or_turned_off_does_not_run(uow_factory, engine, report):
    made = schedule(uow_factory, report["report_id"])
    paused = schedule(uow_factory, report["report_id"], active=False)
    assert paused["next_run_at"] is None
    assert schedule_service.run_due_schedules(uow_factory, made["next_run_at"] - timedelta(seconds=1)) == []
    assert files_of(engine) == [] and generated_events(engine) == []
    assert len(schedule_service.run_due_schedules(uow_factory, made["next_run_at"] + timedelta(days=3))) == 1
    assert runs_of(engine, paused["schedule_id"]) == []


def test_team_recipients_are_their_active_members_and_the_others_are_skipped_with_a_reason(uow_factory, engine, report, deliver):
    made = schedule(uow_factory, report["report_id"], recipient_user_ids=[REP_B], recipient_team_ids=[TEAM_EAST], formats=["csv"])
    unknown = "00000000-0000-4000-8000-0000000000ff"
    deliver(user_event(REP_C, active=False))
    with engine.begin() as connection:
        connection.execute(update(report_schedules).values(recipient_user_ids=[REP_B, unknown]))

    schedule_service.run_due_schedules(uow_factory, made["next_run_at"])

    [run] = runs_of(engine, made["schedule_id"])
    assert sorted(run["delivered_to"]) == sorted([REP_A, REP_B, MANAGER])
    assert sorted(run["skipped"], key=lambda s: s["recipient_id"]) == [
        {"recipient_id": unknown, "reason": "not in the user directory"},
        {"recipient_id": REP_C, "reason": "the user is deactivated"},
    ]
    owners = {f["recipient_id"]: csv_owners(f["content"]) for f in files_of(engine)}
    # Cai's deals are still Cai's, in the manager's team: a deactivated person is not sent files, nothing more.
    assert owners == {REP_A: [("Ann", "3000.50")], REP_B: [("Bo", "5000.00")], MANAGER: [("Ann", "3000.50"), ("Cai", "300.00")]}


def test_a_run_whose_report_was_deleted_turns_the_schedule_off_with_the_reason(uow_factory, engine, report):
    made = schedule(uow_factory, report["report_id"])
    report_service.delete_report(uow_factory, identity(EXECUTIVE), report["report_id"], report["version"])

    schedule_service.run_due_schedules(uow_factory, made["next_run_at"])

    after = schedule_service.get_schedule(uow_factory, identity(EXECUTIVE), made["schedule_id"])
    assert (after["active"], after["inactive_reason"], after["next_run_at"]) == (False, schedule_service.REPORT_DELETED_REASON, None)
    assert [run["outcome"] for run in runs_of(engine, made["schedule_id"])] == ["report_deleted"]
    assert files_of(engine) == [] and generated_events(engine) == []
    assert schedule_service.run_due_schedules(uow_factory, made["next_run_at"] + timedelta(days=2)) == []


def test_an_export_stops_at_the_row_cap_and_its_file_name_and_event_say_so(uow_factory, engine, report, monkeypatch):
    monkeypatch.setattr(schedule_service, "EXPORT_ROW_CAP", 1)
    made = schedule(uow_factory, report["report_id"], recipient_user_ids=[MANAGER], formats=["csv", "xlsx"])

    schedule_service.run_due_schedules(uow_factory, made["next_run_at"])

    files = files_of(engine)
    assert [(f["format"], f["row_count"], f["capped"]) for f in files] == [("csv", 1, True), ("xlsx", 1, True)]
    assert all(f["filename"].endswith(f"_first_1_rows.{f['format']}") for f in files)
    assert csv_owners(files[0]["content"]) == [("Ann", "3000.50")]
    [event] = generated_events(engine)
    assert [f["capped"] for f in event["payload"]["files"]] == [True, True]


def test_two_workers_running_the_job_at_once_make_one_run(postgresql_only, uow_factory, engine, report, settings, run_together):
    from crm_shared.db import make_engine, make_session_factory
    from reporting.uow import ReportingUnitOfWork

    made = schedule(uow_factory, report["report_id"], formats=["csv", "svg"])
    engines = [make_engine(settings.database_url) for _ in range(2)]
    results: list[list[str]] = []
    try:
        workers = [lambda e=e: results.append(schedule_service.run_due_schedules(
            lambda: ReportingUnitOfWork(make_session_factory(e)), made["next_run_at"])) for e in engines]
        assert run_together(*workers) == []
    finally:
        for e in engines:
            e.dispose()

    assert sorted(len(r) for r in results) == [0, 1]
    assert len(runs_of(engine, made["schedule_id"])) == 1
    assert len(files_of(engine)) == 4
    assert len(generated_events(engine)) == 2


def test_a_run_that_fails_is_recorded_and_not_retried_before_its_next_due_time(uow_factory, engine, report, monkeypatch):
    made = schedule(uow_factory, report["report_id"])

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(schedule_service, "_files_for", broken)
    assert schedule_service.run_due_schedules(uow_factory, made["next_run_at"]) == []
    assert schedule_service.run_due_schedules(uow_factory, made["next_run_at"] + timedelta(minutes=1)) == []

    [run] = runs_of(engine, made["schedule_id"])
    assert (run["outcome"], run["skipped"]) == ("failed", [{"reason": "the run failed: RuntimeError"}])
    assert files_of(engine) == [] and generated_events(engine) == []
    after = schedule_service.get_schedule(uow_factory, identity(EXECUTIVE), made["schedule_id"])
    assert after["next_run_at"] == made["next_run_at"] + timedelta(days=1) and after["active"]
