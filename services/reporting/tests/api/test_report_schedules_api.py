"""Scheduled reports over HTTP: checks naming the field, who may change what, run now, and who may download a file."""
from __future__ import annotations

import csv
import io
import json
import uuid

import pytest

from crm_shared.testing import contract_with
from reporting import schedule_service

TEAM_EAST, TEAM_WEST = "e0000000-0000-4000-8000-00000000000e", "f0000000-0000-4000-8000-00000000000f"
REP_A, REP_B = "a0000000-0000-4000-8000-00000000000a", "b0000000-0000-4000-8000-00000000000b"
MANAGER, ADMIN, RETIRED = "d0000000-0000-4000-8000-00000000000d", "10000000-0000-4000-8000-000000000001", "20000000-0000-4000-8000-000000000002"
PEOPLE = {
    REP_A: ("Ann", ["sales_rep"], [TEAM_EAST], True),
    REP_B: ("Bo", ["sales_rep"], [TEAM_WEST], True),
    MANAGER: ("Mei", ["sales_manager"], [TEAM_EAST], True),
    ADMIN: ("Ada", ["admin"], [], True),
    RETIRED: ("Ret", ["sales_rep"], [TEAM_EAST], False),
}
DEALS = [(REP_A, "1000.00"), (REP_B, "5000.00")]
BY_OWNER = {
    "dataset": "opportunities",
    "dimensions": [{"field": "owner.name", "key": "owner"}],
    "measures": [{"key": "amount", "aggregate": "sum", "field": "amount"}],
    "parameters": [{"key": "min_amount", "field": "amount", "op": "gte"}],
}
CHART = {"type": "chart", "chart": {"type": "bar", "category": "owner", "values": ["amount"]}}


def headers(tokens, user_id, **extra):
    name, roles, teams, _ = PEOPLE[user_id]
    return {**tokens.headers(user_id, roles, name, teams), "Content-Type": "application/json", **extra}


@pytest.fixture
def seeded(deliver):
    for user_id, (name, roles, teams, active) in PEOPLE.items():
        deliver(contract_with(
            "gateway.user.changed.v1", user_id=user_id, username=name.lower(), display_name=name, roles=roles,
            team_ids=teams, teams=[{"id": t, "name": "East" if t == TEAM_EAST else "West"} for t in teams], active=active,
        ))
    for owner, amount in DEALS:
        customer_id = str(uuid.uuid4())
        deliver(contract_with("sales.customer.created.v1", customer_id=customer_id, owner_id=owner, name="Customer"))
        deliver(contract_with("sales.opportunity.opened.v1", opportunity_id=str(uuid.uuid4()), customer_id=customer_id,
                              owner_id=owner, amount=amount, name="Deal", stage="qualification"))


def save_report(client, tokens, user_id, layout=None, **sharing):
    body = {"name": "Deals by owner", "definition": BY_OWNER, "layout": layout or {}, **sharing}
    response = client.post("/api/v1/reports", data=json.dumps(body), headers=headers(tokens, user_id))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def table_report(client, tokens, seeded):
    return save_report(client, tokens, MANAGER, shared_user_ids=[REP_A])


@pytest.fixture
def chart_report(client, tokens, seeded):
    return save_report(client, tokens, MANAGER, CHART)


def schedule_body(report_id, /, **changes):
    return {
        "report_id": report_id, "frequency": "weekly", "time_of_day": "08:30", "weekday": "monday",
        "formats": ["csv"], "recipient_user_ids": [REP_A], **changes,
    }


def create(client, tokens, user_id, body):
    return client.post("/api/v1/report-schedules", data=json.dumps(body), headers=headers(tokens, user_id))


def created(client, tokens, user_id, body):
    response = create(client, tokens, user_id, body)
    assert response.status_code == 201, response.get_json()
    return response


def test_a_schedule_is_made_with_the_reporting_time_zone_and_its_next_run(client, tokens, table_report):
    response = created(client, tokens, MANAGER, schedule_body(table_report["report_id"]))
    schedule = response.get_json()
    assert response.headers["ETag"] == '"1"'
    assert (schedule["time_zone"], schedule["report_name"], schedule["active"], schedule["owner_id"]) == (
        "Asia/Shanghai", "Deals by owner", True, MANAGER)
    # Monday 08:30 in Shanghai is Monday 00:30 UTC.
    assert schedule["next_run_at"].endswith("T00:30:00+00:00") or schedule["next_run_at"].endswith("T00:30:00Z")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"frequency": "cron", "cron": "*/5 * * * *", "time_of_day": None, "weekday": None}, "cron"),
        ({"frequency": "cron", "cron": "every day", "time_of_day": None, "weekday": None}, "cron"),
        ({"weekday": None}, "weekday"),
        ({"time_of_day": "8.30"}, "time_of_day"),
        ({"time_zone": "Moon/Base"}, "time_zone"),
        ({"frequency": "monthly", "weekday": None, "day_of_month": 29}, "day_of_month"),
        ({"formats": ["png"]}, "formats"),
        ({"formats": ["pdf"]}, "formats"),
        ({"formats": []}, "formats"),
        ({"recipient_user_ids": []}, "recipient_user_ids"),
        ({"recipient_user_ids": [RETIRED]}, "recipient_user_ids"),
        ({"recipient_user_ids": ["00000000-0000-4000-8000-0000000000ff"]}, "recipient_user_ids"),
        ({"recipient_team_ids": ["00000000-0000-4000-8000-0000000000ee"]}, "recipient_team_ids"),
        ({"frequency": "yearly"}, "frequency"),
        ({"colour": "red"}, "colour"),
        ({"report_id": "00000000-0000-4000-8000-000000000000"}, "report_id"),
        ({"parameters": {"min_amount": "lots"}}, "parameters.min_amount"),
    ],
)
def test_each_refusal_is_a_400_naming_the_field_and_saves_nothing(client, tokens, table_report, changes, field):
    response = create(client, tokens, MANAGER, schedule_body(table_report["report_id"], **changes))
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    assert set(body) == {"code", "status", "message", "errors"}
    assert field in body["errors"], body
    assert field in body["message"]
    listed = client.get("/api/v1/report-schedules", headers=headers(tokens, MANAGER)).get_json()
    assert listed["items"] == []


def test_chart_formats_are_taken_for_a_chart_report(client, tokens, chart_report):
    schedule = created(client, tokens, MANAGER, schedule_body(chart_report["report_id"], formats=["png", "svg", "xlsx"])).get_json()
    assert schedule["formats"] == ["png", "svg", "xlsx"]


def test_only_people_who_may_read_the_report_may_schedule_it(client, tokens, table_report):
    assert create(client, tokens, REP_B, schedule_body(table_report["report_id"])).status_code == 400
    # Shared with Ann: she may send it (to herself), and it will run with her scope.
    assert create(client, tokens, REP_A, schedule_body(table_report["report_id"])).status_code == 201


def test_owners_see_and_change_their_schedules_admins_all_and_others_nothing(client, tokens, table_report):
    schedule = created(client, tokens, MANAGER, schedule_body(table_report["report_id"])).get_json()
    url = f"/api/v1/report-schedules/{schedule['schedule_id']}"
    changed_body = json.dumps(schedule_body(table_report["report_id"], frequency="daily", weekday=None, time_of_day="18:00"))

    assert [s["schedule_id"] for s in client.get("/api/v1/report-schedules", headers=headers(tokens, ADMIN)).get_json()["items"]] == [schedule["schedule_id"]]
    assert client.get("/api/v1/report-schedules", headers=headers(tokens, REP_A)).get_json()["items"] == []
    assert client.get(url, headers=headers(tokens, REP_A)).status_code == 404
    assert client.put(url, data=changed_body, headers=headers(tokens, REP_A, **{"If-Match": '"1"'})).status_code == 404
    assert client.put(url, data=changed_body, headers=headers(tokens, MANAGER)).status_code == 428

    response = client.put(url, data=changed_body, headers=headers(tokens, MANAGER, **{"If-Match": '"1"'}))
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["frequency"], response.get_json()["time_of_day"], response.headers["ETag"]) == ("daily", "18:00", '"2"')
    stale = client.put(url, data=changed_body, headers=headers(tokens, ADMIN, **{"If-Match": '"1"'}))
    assert stale.status_code == 412
    assert client.delete(url, headers=headers(tokens, REP_A, **{"If-Match": '"2"'})).status_code == 404
    assert client.delete(url, headers=headers(tokens, ADMIN, **{"If-Match": '"2"'})).status_code == 204
    assert client.get(url, headers=headers(tokens, MANAGER)).status_code == 404


def test_pausing_a_schedule_clears_its_next_run_and_resuming_sets_it(client, tokens, table_report):
    schedule = created(client, tokens, MANAGER, schedule_body(table_report["report_id"], active=False)).get_json()
    assert schedule["next_run_at"] is None
    url = f"/api/v1/report-schedules/{schedule['schedule_id']}"
    resumed = client.put(url, data=json.dumps(schedule_body(table_report["report_id"])), headers=headers(tokens, MANAGER, **{"If-Match": '"1"'}))
    assert resumed.get_json()["next_run_at"] is not None


def run_now(client, tokens, user_id, schedule_id):
    return client.post(f"/api/v1/report-schedules/{schedule_id}/run", headers=headers(tokens, user_id))


def test_run_now_sends_each_recipient_their_own_rows_and_keeps_the_next_run(client, tokens, table_report):
    body = schedule_body(table_report["report_id"], recipient_user_ids=[REP_A, REP_B, MANAGER], formats=["csv", "xlsx"])
    schedule = created(client, tokens, MANAGER, body).get_json()
    assert run_now(client, tokens, REP_A, schedule["schedule_id"]).status_code == 404

    response = run_now(client, tokens, MANAGER, schedule["schedule_id"])

    assert response.status_code == 201, response.get_json()
    run = response.get_json()
    assert (run["trigger"], run["outcome"], sorted(run["delivered_to"])) == ("manual", "delivered", sorted([REP_A, REP_B, MANAGER]))
    again = client.get(f"/api/v1/report-schedules/{schedule['schedule_id']}", headers=headers(tokens, MANAGER)).get_json()
    assert again["next_run_at"] == schedule["next_run_at"]
    runs = client.get(f"/api/v1/report-schedules/{schedule['schedule_id']}/runs", headers=headers(tokens, MANAGER)).get_json()["items"]
    assert [r["run_id"] for r in runs] == [run["run_id"]]
    for user_id, expected in ((REP_A, [["Ann", "1000.00"]]), (REP_B, [["Bo", "5000.00"]]), (MANAGER, [["Ann", "1000.00"]])):
        files = client.get(f"/api/v1/report-files?schedule_id={schedule['schedule_id']}", headers=headers(tokens, user_id)).get_json()["items"]
        assert sorted(f["format"] for f in files) == ["csv", "xlsx"] and {f["recipient_id"] for f in files} == {user_id}
        [csv_file] = [f for f in files if f["format"] == "csv"]
        download = client.get(csv_file["url"], headers=headers(tokens, user_id))
        assert download.status_code == 200
        assert download.mimetype == "text/csv"
        assert "attachment" in download.headers["Content-Disposition"]
        assert list(csv.reader(io.StringIO(download.data.decode("utf-8-sig"))))[1:] == expected


def test_run_time_parameters_of_the_schedule_filter_every_recipients_report(client, tokens, table_report):
    body = schedule_body(table_report["report_id"], recipient_user_ids=[ADMIN], parameters={"min_amount": 2000})
    schedule = created(client, tokens, MANAGER, body).get_json()
    run_now(client, tokens, MANAGER, schedule["schedule_id"])
    [file] = client.get("/api/v1/report-files", headers=headers(tokens, ADMIN)).get_json()["items"]
    content = client.get(file["url"], headers=headers(tokens, ADMIN)).data.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(content)))[1:] == [["Bo", "5000.00"]]


def test_a_file_is_downloaded_only_by_its_recipient_or_an_admin(client, tokens, chart_report):
    schedule = created(client, tokens, MANAGER, schedule_body(chart_report["report_id"], formats=["png"])).get_json()
    run_now(client, tokens, MANAGER, schedule["schedule_id"])
    [file] = client.get("/api/v1/report-files", headers=headers(tokens, REP_A)).get_json()["items"]
    assert file["media_type"] == "image/png" and file["filename"].endswith(".png")

    mine = client.get(file["url"], headers=headers(tokens, REP_A))
    assert mine.status_code == 200 and mine.data.startswith(b"\x89PNG") and len(mine.data) == file["byte_size"]
    assert client.get(file["url"], headers=headers(tokens, ADMIN)).data == mine.data
    # The schedule's owner is not its recipient: the file holds Ann's figures, not theirs to read.
    for other in (MANAGER, REP_B):
        refused = client.get(file["url"], headers=headers(tokens, other))
        assert refused.status_code == 404 and refused.get_json()["code"] == "not_found"
    assert client.get("/api/v1/report-files", headers=headers(tokens, REP_B)).get_json()["items"] == []
    assert len(client.get("/api/v1/report-files", headers=headers(tokens, ADMIN)).get_json()["items"]) == 1
    assert client.get("/api/v1/report-files/no-such-file", headers=headers(tokens, ADMIN)).status_code == 404


def test_the_timed_job_is_registered_every_minute(uow_factory):
    [job] = schedule_service.schedule_jobs(uow_factory)
    assert job.name == schedule_service.JOB_NAME
    assert job.schedule.interval.total_seconds() == 60
