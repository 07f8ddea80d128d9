"""The report builder over HTTP: one definition, each viewer's own scope; sharing; layouts; exports; charts; boards."""
from __future__ import annotations

import csv
import io
import json
import re
import uuid

from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy.dialects import postgresql

from crm_shared.testing import contract_with
from reporting.report_query import compile_report
from reporting.scopes import Scope

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
# (owner, status, amount, customer name)
DEALS = [
    (REP_A, "won", "1000.00", "锦佳"),
    (REP_A, "won", "2000.50", "=HYPERLINK(\"http://x\",\"y\")"),
    (REP_A, "open", "700.00", "Acme"),
    (REP_C, "won", "300.00", "Cai Co"),
    (REP_B, "won", "5000.00", "West Ltd"),
    (REP_B, "lost", "900.00", "West Ltd"),
]
BY_OWNER_AND_STATUS = {
    "dataset": "opportunities",
    "dimensions": [{"field": "owner.name", "key": "owner"}, {"field": "status"}],
    "measures": [
        {"key": "amount", "aggregate": "sum", "field": "amount", "label": "Amount"},
        {"key": "deals", "aggregate": "count"},
    ],
    "sort": [{"key": "owner"}, {"key": "status"}],
}


def headers(tokens, user_id):
    name, roles, teams = PEOPLE[user_id]
    return {**tokens.headers(user_id, roles, name, teams), "Content-Type": "application/json"}


@pytest.fixture
def seeded(deliver):
    for user_id, (name, roles, teams) in PEOPLE.items():
        deliver(contract_with(
            "gateway.user.changed.v1", user_id=user_id, username=name.lower(), display_name=name, roles=roles,
            team_ids=teams, teams=[{"id": t, "name": "East" if t == TEAM_EAST else "West"} for t in teams], active=True,
        ))
    for owner, status, amount, customer_name in DEALS:
        customer_id, deal_id = str(uuid.uuid4()), str(uuid.uuid4())
        deliver(contract_with("sales.customer.created.v1", customer_id=customer_id, owner_id=owner, name=customer_name))
        deal = {"opportunity_id": deal_id, "customer_id": customer_id, "owner_id": owner, "amount": amount, "name": customer_name}
        deliver(contract_with("sales.opportunity.opened.v1", **deal, stage="qualification"))
        if status != "open":
            deliver(contract_with("sales.opportunity.closed.v1", **deal, stage=status, outcome=status))


def preview(client, tokens, user_id, definition, layout=None, parameters=None):
    body = {"definition": definition, "layout": layout or {}, "parameters": parameters or {}}
    return client.post("/api/v1/reports/preview", data=json.dumps(body), headers=headers(tokens, user_id))


def save(client, tokens, user_id, definition, layout=None, **sharing):
    body = {"name": "Deals by owner", "definition": definition, "layout": layout or {}, **sharing}
    response = client.post("/api/v1/reports", data=json.dumps(body), headers=headers(tokens, user_id))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def rows_of(response):
    assert response.status_code == 200, response.get_json()
    return [(row["owner"], row["status"], row["amount"], row["deals"]) for row in response.get_json()["rows"]]


def test_one_shared_definition_gives_each_viewer_exactly_their_scope(client, tokens, seeded):
    report = save(client, tokens, MANAGER, BY_OWNER_AND_STATUS, shared_team_ids=[TEAM_EAST, TEAM_WEST], shared_user_ids=[EXECUTIVE])
    result = lambda user: rows_of(client.get(f"/api/v1/reports/{report['report_id']}/result", headers=headers(tokens, user)))
    everything = result(EXECUTIVE)
    assert everything == [
        ("Ann", "open", "700.00", 1), ("Ann", "won", "3000.50", 2), ("Bo", "lost", "900.00", 1),
        ("Bo", "won", "5000.00", 1), ("Cai", "won", "300.00", 1),
    ]
    # The manager's East team is Ann and Cai (and the manager); each rep sees their own rows only.
    assert result(MANAGER) == [row for row in everything if row[0] in ("Ann", "Cai")]
    assert result(REP_A) == [row for row in everything if row[0] == "Ann"]
    assert result(REP_B) == [row for row in everything if row[0] == "Bo"]
    scopes = {user: client.get(f"/api/v1/reports/{report['report_id']}/result", headers=headers(tokens, user)).get_json()["scope"] for user in (REP_A, MANAGER, EXECUTIVE)}
    assert scopes == {REP_A: "own", MANAGER: "team", EXECUTIVE: "all"}


def test_filters_computed_fields_and_expression_measures(client, tokens, seeded):
    definition = {
        "dataset": "opportunities",
        "computed": [{"key": "big", "expression": "if(amount >= 1000, 'big', 'small')"}],
        "dimensions": [{"field": "big"}],
        "measures": [
            {"key": "won_share", "expression": "ratio(sum(if(status = 'won', amount, 0)), sum(amount))"},
            {"key": "customers", "aggregate": "count_distinct", "field": "customer_id"},
        ],
        "filters": {"any": [{"field": "status", "op": "in", "value": ["won", "lost"]}, {"field": "amount", "op": "lt", "value": 100}]},
        "sort": [{"key": "big", "direction": "desc"}],
    }
    response = preview(client, tokens, EXECUTIVE, definition)
    assert response.status_code == 200, response.get_json()
    rows = response.get_json()["rows"]
    # small: 300 won + 900 lost -> 0.25; big: 1000 + 2000.50 + 5000 all won -> 1
    assert rows == [{"big": "small", "won_share": 0.25, "customers": 2}, {"big": "big", "won_share": 1, "customers": 3}]


@pytest.mark.parametrize("dimensions", [
    [{"field": "owner.name", "key": "owner"}, {"field": "opened_at", "bucket": "month"}],
    [{"field": "team.name", "key": "team"}],
    [],
])
def test_distinct_counts_grouped_in_two_steps_equal_one_grouping(client, tokens, seeded, dimensions):
    # A distinct count beside plain counts, sums, minimums and maximums is grouped per distinct value
    # first (report_query._grouped_in_two_steps); an average makes the same report group once. Every
    # column they share must be the same, in every viewer's scope.
    measures = [
        {"key": "deals", "aggregate": "count"},
        {"key": "priced", "aggregate": "count", "field": "amount"},
        {"key": "customers", "aggregate": "count_distinct", "field": "customer_id"},
        {"key": "names", "aggregate": "count_distinct", "field": "customer_id", "label": "again"},
        {"key": "amount", "aggregate": "sum", "field": "amount"},
        {"key": "smallest", "aggregate": "min", "field": "amount"},
        {"key": "largest", "aggregate": "max", "field": "amount"},
    ]
    two_steps = {"dataset": "opportunities", "dimensions": dimensions, "measures": measures}
    one_grouping = {**two_steps, "measures": [*measures, {"key": "mean", "aggregate": "avg", "field": "amount"}]}
    scope, zone = Scope(EXECUTIVE, "all", frozenset()), ZoneInfo("Asia/Shanghai")
    sql = lambda definition: str(compile_report(definition, scope, zone=zone).statement.compile(dialect=postgresql.dialect()))
    assert "per_distinct_value" in sql(two_steps) and "per_distinct_value" not in sql(one_grouping)
    for viewer in (EXECUTIVE, MANAGER, REP_B):
        split = preview(client, tokens, viewer, two_steps)
        whole = preview(client, tokens, viewer, one_grouping)
        assert split.status_code == whole.status_code == 200, (split.get_json(), whole.get_json())
        expected = [{key: value for key, value in row.items() if key != "mean"} for row in whole.get_json()["rows"]]
        assert split.get_json()["rows"] == expected
    everything = preview(client, tokens, EXECUTIVE, two_steps).get_json()["rows"]
    assert sum(row["deals"] for row in everything) == len(DEALS)
    if not dimensions:
        assert everything == [{"deals": 6, "priced": 6, "customers": 6, "names": 6, "amount": "9900.50",
                               "smallest": "300.00", "largest": "5000.00"}]
    nothing = {**two_steps, "filters": {"all": [{"field": "status", "op": "eq", "value": "none"}]}}
    rows = preview(client, tokens, EXECUTIVE, nothing).get_json()["rows"]
    assert rows == ([] if dimensions else [{"deals": 0, "priced": 0, "customers": 0, "names": 0, "amount": None,
                                             "smallest": None, "largest": None}])


def test_run_time_parameters_filter_the_saved_report(client, tokens, seeded):
    definition = {**BY_OWNER_AND_STATUS, "parameters": [{"key": "status", "field": "status", "op": "eq"}]}
    report = save(client, tokens, EXECUTIVE, definition)
    url = f"/api/v1/reports/{report['report_id']}/result"
    won = rows_of(client.get(url, query_string={"params": json.dumps({"status": "won"})}, headers=headers(tokens, EXECUTIVE)))
    assert {row[1] for row in won} == {"won"} and len(won) == 3
    unknown = client.get(url, query_string={"params": json.dumps({"stage": "x"})}, headers=headers(tokens, EXECUTIVE))
    assert unknown.status_code == 400 and "stage" in unknown.get_json()["message"]


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        ({"dataset": "deals"}, "dataset", "no dataset"),
        ({"dimensions": [{"field": "amout"}]}, "dimensions[0].field", "did you mean amount"),
        ({"measures": [{"key": "x", "expression": "__import__('os')"}]}, "measures[0].expression", "character"),
        ({"measures": [{"key": "x", "expression": "sum(amount); drop table fact_opportunities"}]}, "measures[0].expression", "character"),
        ({"measures": [{"key": "x", "expression": "amount * 2"}]}, "measures[0].expression", "aggregate"),
        ({"measures": [{"key": "x", "aggregate": "sum", "field": "name"}]}, "measures[0].field", "number"),
        ({"measures": [{"key": "x", "expression": "sum(amout)"}]}, "measures[0].expression", "amount"),
        ({"dimensions": [{"field": "name", "bucket": "month"}]}, "dimensions[0].bucket", "date"),
        ({"filters": {"field": "closed_at", "op": "relative", "value": "next_century"}}, "filters.value", "relative"),
        ({"filters": {"field": "amount", "op": "gt", "value": "lots"}}, "filters.value", "amount"),
        ({"sort": [{"key": "nothing"}]}, "sort[0].key", "sort by"),
    ],
)
def test_a_definition_that_cannot_run_is_refused_with_where_and_why(client, tokens, seeded, change, where, words):
    response = preview(client, tokens, EXECUTIVE, {**BY_OWNER_AND_STATUS, **change})
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    assert body["code"] == "invalid_report"
    assert where in body["errors"], body
    assert words in body["message"]


def test_a_pivot_has_totals_computed_by_the_database(client, tokens, seeded):
    definition = {
        "dataset": "opportunities",
        "dimensions": [{"field": "owner.name", "key": "owner"}, {"field": "status"}],
        "measures": [{"key": "customers", "aggregate": "count_distinct", "field": "customer.name"}],
    }
    layout = {"type": "pivot", "pivot": {"rows": "owner", "columns": "status", "measure": "customers"}}
    response = preview(client, tokens, EXECUTIVE, definition, layout)
    assert response.status_code == 200, response.get_json()
    pivot = response.get_json()["pivot"]
    assert pivot["columns"] == ["lost", "open", "won"]
    bo = next(row for row in pivot["rows"] if row["value"] == "Bo")
    # Bo's two deals are with one customer: the row total is 1 distinct customer, not 1 + 1.
    assert bo["cells"] == [1, None, 1] and bo["total"] == 1
    assert pivot["column_totals"] == [1, 1, 4]
    assert pivot["grand_total"] == 5


def test_exports_stream_every_row_and_neutralise_formulas(client, tokens, seeded):
    definition = {"dataset": "opportunities", "dimensions": [{"field": "customer.name", "key": "customer"}, {"field": "amount"}], "sort": [{"key": "amount"}]}
    report = save(client, tokens, EXECUTIVE, definition, {"columns": [{"key": "amount", "label": "金额"}, {"key": "customer", "label": "客户"}]})
    url = f"/api/v1/reports/{report['report_id']}/export"
    response = client.get(url, query_string={"format": "csv"}, headers=headers(tokens, EXECUTIVE))
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert table[0] == ["金额", "客户"]
    assert len(table) == 1 + len(DEALS)
    assert ["2000.50", "'=HYPERLINK(\"http://x\",\"y\")"] in table
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(url, query_string={"format": "xlsx"}, headers=headers(tokens, EXECUTIVE)).data))
    cells = [[cell.value for cell in row] for row in workbook.active.iter_rows()]
    assert cells[0] == ["金额", "客户"] and len(cells) == 1 + len(DEALS)
    formula_row = next(row for row in workbook.active.iter_rows(min_row=2) if "HYPERLINK" in str(row[1].value))
    assert formula_row[1].data_type == "s" and formula_row[1].value.startswith("'")
    # A rep's export of the same report (shared with them) holds their rows only.
    own = client.get(url, query_string={"format": "csv"}, headers=headers(tokens, REP_A))
    assert own.status_code == 404  # not shared with Ann


def test_the_chart_is_drawn_from_the_viewers_figures(client, tokens, seeded):
    layout = {"type": "chart", "chart": {"type": "bar", "category": "owner", "values": ["amount"], "series": "status"}}
    report = save(client, tokens, MANAGER, BY_OWNER_AND_STATUS, layout, shared_user_ids=[REP_A])
    svg = client.get(f"/api/v1/reports/{report['report_id']}/chart", query_string={"format": "svg"}, headers=headers(tokens, REP_A))
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml", svg.get_json()
    labels = set(re.findall(r">([^<>]+)</text>", svg.data.decode()))
    assert "Ann" in labels and not labels & {"Bo", "Cai"}
    png = client.get(f"/api/v1/reports/{report['report_id']}/chart", query_string={"format": "png"}, headers=headers(tokens, MANAGER))
    assert png.data.startswith(b"\x89PNG")
    table_only = save(client, tokens, MANAGER, BY_OWNER_AND_STATUS)
    refused = client.get(f"/api/v1/reports/{table_only['report_id']}/chart", headers=headers(tokens, MANAGER))
    assert refused.status_code == 400 and refused.get_json()["code"] == "invalid_report"


def test_only_people_it_is_shared_with_see_a_report_and_only_its_owner_changes_it(client, tokens, seeded):
    report = save(client, tokens, MANAGER, BY_OWNER_AND_STATUS, shared_user_ids=[REP_A])
    url = f"/api/v1/reports/{report['report_id']}"
    assert client.get(url, headers=headers(tokens, REP_B)).status_code == 404
    assert client.get(f"{url}/result", headers=headers(tokens, REP_B)).status_code == 404
    assert [item["report_id"] for item in client.get("/api/v1/reports", headers=headers(tokens, REP_B)).get_json()["items"]] == []
    seen = client.get(url, headers=headers(tokens, REP_A))
    assert seen.status_code == 200 and seen.get_json()["editable"] is False
    body = json.dumps({"name": "Mine now", "definition": BY_OWNER_AND_STATUS, "shared_user_ids": [REP_A, REP_B]})
    refused = client.put(url, data=body, headers={**headers(tokens, REP_A), "If-Match": seen.headers["ETag"]})
    assert refused.status_code == 403
    assert client.put(url, data=body, headers=headers(tokens, MANAGER)).status_code == 428
    changed = client.put(url, data=body, headers={**headers(tokens, MANAGER), "If-Match": seen.headers["ETag"]})
    assert changed.status_code == 200 and changed.get_json()["name"] == "Mine now"
    stale = client.put(url, data=body, headers={**headers(tokens, MANAGER), "If-Match": seen.headers["ETag"]})
    assert stale.status_code == 412
    assert client.get(url, headers=headers(tokens, REP_B)).status_code == 200


def test_a_board_holds_reports_its_owner_may_see(client, tokens, seeded):
    report = save(client, tokens, MANAGER, BY_OWNER_AND_STATUS)
    hidden = save(client, tokens, EXECUTIVE, BY_OWNER_AND_STATUS)
    refused = client.post("/api/v1/boards", data=json.dumps({"name": "East", "tiles": [{"report_id": hidden["report_id"]}]}), headers=headers(tokens, MANAGER))
    assert refused.status_code == 400 and "tiles[0].report_id" in refused.get_json()["errors"]
    created = client.post("/api/v1/boards", data=json.dumps({"name": "East", "tiles": [{"report_id": report["report_id"], "width": 2}]}), headers=headers(tokens, MANAGER))
    assert created.status_code == 201, created.get_json()
    board = created.get_json()
    assert board["tiles"] == [{"report_id": report["report_id"], "width": 2, "name": "Deals by owner", "available": True}]
    assert client.get(f"/api/v1/boards/{board['board_id']}", headers=headers(tokens, REP_A)).status_code == 404
