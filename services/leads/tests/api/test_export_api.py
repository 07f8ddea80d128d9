"""Exporting lead lists to CSV and XLSX: same filters and visibility as search, formulas neutralised."""
import csv
import io

from openpyxl import load_workbook

from leads import search_service
from leads.pools import DEFAULT_PUBLIC_POOL_ID

EXPORT = "/api/v1/leads/export"


def create(client, headers, **fields):
    body = {"company": "Acme", "contact_name": "Wang Fang", "channel": "web", "allow_duplicate": True, **fields}
    response = client.post("/api/v1/leads", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200, response.data[:500]
    assert response.mimetype == "text/csv"
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_cells_that_a_spreadsheet_would_run_are_neutralised(client, manager):
    create(client, manager, company='=HYPERLINK("http://evil","x")', contact_name="+cmd", notes="@SUM(A1)",
           phone="-2+3", region="\tTab")
    [row] = csv_rows(client.get(EXPORT, query_string={"format": "csv"}, headers=manager))
    assert row["company"] == """'=HYPERLINK("http://evil","x")"""
    assert (row["contact_name"], row["notes"], row["phone"], row["region"]) == ("'+cmd", "'@SUM(A1)", "'-2+3", "'\tTab")


def test_the_xlsx_export_holds_text_not_formulas(client, manager):
    create(client, manager, company="=1+1", contact_name="李娜")
    response = client.get(EXPORT, query_string={"format": "xlsx"}, headers=manager)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).worksheets[0]
    header, row = list(sheet.iter_rows(values_only=True))
    values = dict(zip(header, row))
    assert values["company"] == "'=1+1" and values["contact_name"] == "李娜"


def test_an_export_follows_the_filters_and_the_readers_visibility(client, manager, admin, rep1, rep2):
    mine = create(client, manager, company="Export Mine")
    theirs = create(client, manager, company="Export Theirs")
    create(client, manager, company="Export Public", phone="13812345678", pool_id=DEFAULT_PUBLIC_POOL_ID)
    create(client, manager, company="Elsewhere")
    client.post(f"/api/v1/leads/{mine['id']}/claim", headers=rep1)
    client.post(f"/api/v1/leads/{theirs['id']}/claim", headers=rep2)
    rows = csv_rows(client.get(EXPORT, query_string={"q": "export", "sort": "company"}, headers=rep1))
    assert [(r["company"], r["phone"], r["masked"]) for r in rows] == [
        ("Export Mine", "", "false"), ("Export Public", "138****5678", "true")]
    everything = csv_rows(client.get(EXPORT, query_string={"q": "export"}, headers=admin))
    assert len(everything) == 3


def test_an_export_larger_than_a_page_streams_every_lead_once(client, manager, monkeypatch):
    monkeypatch.setattr(search_service, "EXPORT_PAGE", 4)
    for n in range(10):
        create(client, manager, company=f"Paged {n}")
    rows = csv_rows(client.get(EXPORT, query_string={"q": "paged"}, headers=manager))
    assert sorted(r["company"] for r in rows) == [f"Paged {n}" for n in range(10)]


def test_bad_export_requests_are_refused_before_the_download_starts(client, manager, rep1, agent):
    bad_format = client.get(EXPORT, query_string={"format": "pdf"}, headers=manager)
    assert bad_format.status_code == 422 and "format" in bad_format.json["errors"]
    assert client.get(EXPORT, query_string={"q": "x"}, headers=manager).json["code"] == "query_too_short"
    assert client.get(EXPORT, query_string={"pool_id": "nope"}, headers=rep1).status_code == 404
    assert client.get(EXPORT, headers=agent).status_code == 403
