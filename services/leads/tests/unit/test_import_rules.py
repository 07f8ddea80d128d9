"""Reading uploaded lead files and checking their rows, duplicates within a file, and export cells."""
import io
import json

import pytest
from openpyxl import Workbook

from crm_shared.envelope import Envelope
from crm_shared.errors import APIError
from leads.duplicates import refuse_strong
from leads.exports import cells, neutralise
from leads.import_service import _body
from leads.imports import MERGE, SKIP, FileRefused, Sieve, check_mapping, read_rows, read_sheet
from leads.matching import Match


def test_csv_is_read_as_utf8_with_or_without_bom_and_as_gb18030():
    text = "公司,联系人\n锦佳,王芳\n"
    for data in (text.encode("utf-8"), ("\ufeff" + text).encode("utf-8"), text.encode("gb18030")):
        sheet = read_sheet(data, "leads.csv")
        assert sheet.header == ["公司", "联系人"] and sheet.rows == [(2, ["锦佳", "王芳"])]


def test_semicolon_separated_csv_is_recognised_and_blank_lines_are_skipped():
    sheet = read_sheet("company;contact\nAcme;John\n;\nBeta;Mary\n".encode(), "x.csv")
    assert sheet.rows == [(2, ["Acme", "John"]), (4, ["Beta", "Mary"])]


def test_an_xlsx_phone_typed_as_a_number_comes_back_as_its_digits():
    workbook = Workbook()
    workbook.active.append(["company", "phone"])
    workbook.active.append(["Acme", 13800138000])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert read_sheet(buffer.getvalue(), "x.xlsx").rows == [(2, ["Acme", "13800138000"])]


def test_files_that_are_neither_csv_text_nor_xlsx_are_refused():
    with pytest.raises(FileRefused) as refused:
        read_sheet(b"\x00\x01\x02binary", "x.csv")
    assert refused.value.code == "malformed_file"


def test_the_mapping_must_name_columns_the_file_has_and_the_required_fields():
    with pytest.raises(APIError) as refused:
        check_mapping(["公司"], {"公司": "company", "电话": "phone"}, {})
    messages = " ".join(refused.value.errors["mapping"])
    assert "'电话'" in messages and "contact_name" in messages and "channel" in messages
    assert check_mapping(["公司", "联系人"], {"公司": "company", "联系人": "contact_name"}, {"channel": "fair"}) == {
        "company": 0, "contact_name": 1}


def test_rows_are_checked_cell_by_cell_with_the_row_number_and_column():
    sheet = read_sheet("公司,联系人,邮箱,标签\n锦佳,王芳,bad,a、b\n,李娜,,\n".encode(), "x.csv")
    columns = check_mapping(sheet.header, {"公司": "company", "联系人": "contact_name", "邮箱": "email", "标签": "tags"},
                            {"channel": "fair"})
    good, bad = read_rows(sheet, columns, {"channel": "fair"})
    assert good == []
    assert [(e.row, e.column, e.field) for e in bad] == [(2, "邮箱", "email"), (3, "公司", "company")]


def test_the_sieve_skips_or_merges_rows_that_share_a_phone_with_an_earlier_row_or_a_lead():
    rows = [{"id": "r1", "company": "A", "phone": "13800138000"}, {"id": "r2", "company": "B", "phone": "138 0013 8000"},
            {"id": "r3", "company": "C", "email": "c@x.cn"}]
    existing = {"email:c@x.cn": ["lead-9"]}
    skip = Sieve(SKIP)
    assert [skip.decide(dict(row), existing) for row in rows] == [("create", None), ("skip", None), ("skip", None)]
    merge = Sieve(MERGE)
    assert [merge.decide(dict(row), existing) for row in rows] == [("create", None), ("merge", "r1"), ("merge", "lead-9")]


def test_strong_matches_refuse_unless_allowed_and_weak_ones_never():
    weak = Match("l1", ("company:x",), "weak")
    strong = Match("l2", ("phone:+8613800138000",), "strong")
    refuse_strong([weak], allow_duplicate=False)
    refuse_strong([strong], allow_duplicate=True)
    with pytest.raises(APIError) as refused:
        refuse_strong([strong, weak], allow_duplicate=False)
    assert refused.value.code == "duplicate_lead" and refused.value.errors["matches"][0]["lead_id"] == "l2"


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@A1", "\tx", "\rx"])
def test_export_cells_that_start_a_formula_are_prefixed(value):
    assert neutralise(value) == "'" + value


def test_export_cells_leave_plain_text_alone_and_join_tags():
    row = cells({"company": "锦佳", "tags": ["vip", "=x"], "masked": True})
    assert row[1] == "锦佳" and "vip; =x" in row and "true" in row


def test_the_bulk_outbox_body_is_exactly_what_the_envelope_writes():
    envelope = Envelope.new("leads.lead.created.v1", {"lead_id": "x", "company": "锦佳", "tags": ["a"]}, producer="leads")
    assert _body(envelope) == envelope.to_json()
    assert json.loads(_body(envelope))["payload"]["company"] == "锦佳"
