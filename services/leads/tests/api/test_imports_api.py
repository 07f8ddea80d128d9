"""Lead imports from CSV and XLSX: the dry run's report, queued runs with progress, duplicates, and unsafe files refused."""
import io
import json
import threading
import zipfile
from datetime import timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from crm_shared.db import outbox
from crm_shared.envelope import utc_now
from leads import import_service
from leads.db import lead_ownership_history, leads
from leads.db_import_queue import lead_import_queue
from leads.db_search import lead_imports
from leads.import_jobs import ImportQueue
from leads.import_runner import DEFAULT_STALE_SECONDS, MAX_ATTEMPTS, ImportRunner

IMPORTS = "/api/v1/leads/imports"
MAPPING = {"公司": "company", "联系人": "contact_name", "电话": "phone", "邮箱": "email", "来源": "channel",
           "标签": "tags"}


def csv_bytes(rows, encoding="utf-8-sig", header=("公司", "联系人", "电话", "邮箱", "来源", "标签")) -> bytes:
    lines = [",".join(header)] + [",".join(row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows, header=("公司", "联系人", "电话", "邮箱", "来源", "标签")) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, headers, data: bytes, name="leads.csv", **options):
    form = {"file": (io.BytesIO(data), name), "options": json.dumps({"mapping": MAPPING, **options})}
    return client.post(IMPORTS, data=form, headers=headers, content_type="multipart/form-data")


def imported(client, headers, data: bytes, name="leads.csv", **options) -> dict:
    """A real run as the page sees it: queued by the POST, run by a worker's runner, then the job read back."""
    response = upload(client, headers, data, name, **options)
    assert response.status_code == 202, response.json
    ImportRunner(client.application.extensions["crm.uow_factory"]).run_all()
    return client.get(response.headers["Location"], headers=headers).json


def counts(uow_factory) -> dict:
    with uow_factory() as uow:
        return {table.name: uow.session.execute(select(func.count()).select_from(table)).scalar_one()
                for table in (leads, lead_imports, lead_import_queue, outbox)}


GOOD = [("安徽锦佳信息技术有限公司", "王芳", "138 0013 8000", "wang@jinjia.cn", "fair", "vip;华东"),
        ("Acme Trading Ltd", "John Smith", "+1 415 555 0100", "john@acme.com", "web", ""),
        ("杭州示例贸易有限公司", "李娜", "0571-8888 8888", "", "fair", "")]


def test_a_dry_run_reports_every_bad_row_and_writes_nothing(client, manager, uow_factory):
    before = counts(uow_factory)
    rows = GOOD + [("", "No Company", "", "", "web", ""), ("Bad Mail Co", "", "", "not-an-email", "web", ""),
                   ("X" * 201, "Long", "", "", "web", "")]
    response = upload(client, manager, csv_bytes(rows), dry_run=True)
    assert response.status_code == 200, response.json
    report = response.json
    assert (report["total"], report["valid"], report["invalid_rows"], report["would_create"]) == (6, 3, 3, 3)
    assert sorted((e["row"], e["column"], e["field"]) for e in report["errors"]) == [
        (5, "公司", "company"), (6, "联系人", "contact_name"), (6, "邮箱", "email"), (7, "公司", "company")]
    assert all(e["reason"] for e in report["errors"])
    assert counts(uow_factory) == before


def test_a_real_run_is_queued_and_the_worker_imports_the_good_rows_with_one_created_event_each(
        client, manager, uow_factory):
    response = upload(client, manager, csv_bytes(GOOD + [("", "No Company", "", "", "web", "")]))
    assert response.status_code == 202, response.json
    queued = response.json
    assert (queued["status"], queued["total"], queued["processed"], queued["created"]) == ("queued", 4, 0, 0)
    assert response.headers["Location"] == f"{IMPORTS}/{queued['id']}"
    assert counts(uow_factory)[leads.name] == 0
    assert client.get(response.headers["Location"], headers=manager).json["status"] == "queued"
    assert ImportRunner(uow_factory).run_all() == [queued["id"]]
    job = client.get(response.headers["Location"], headers=manager).json
    assert (job["status"], job["total"], job["processed"], job["created"], job["failed"]) == ("completed", 4, 4, 3, 1)
    assert job["errors"][0]["row"] == 5
    assert ImportRunner(uow_factory).run_all() == []
    with uow_factory() as uow:
        assert uow.session.execute(select(func.count()).select_from(lead_import_queue)).scalar_one() == 0
    with uow_factory() as uow:
        names = list(uow.session.scalars(select(outbox.c.name)))
    assert names == ["leads.lead.created.v1"] * 3
    found = client.get("/api/v1/leads/search", query_string={"q": "锦佳"}, headers=manager).json["items"]
    assert [(f["phone"], f["tags"], f["channel"]) for f in found] == [("138 0013 8000", ["vip", "华东"], "fair")]


def test_an_import_to_an_owner_gives_them_the_leads_with_history(client, manager, rep1, uow_factory):
    job = imported(client, manager, csv_bytes(GOOD[:2]), owner_id="rep-1")
    assert job["created"] == 2
    mine = client.get("/api/v1/leads/search", query_string={"owner": "me"}, headers=rep1).json["items"]
    assert sorted(m["status"] for m in mine) == ["claimed", "claimed"]
    with uow_factory() as uow:
        reasons = list(uow.session.scalars(select(lead_ownership_history.c.reason)))
        names = sorted(uow.session.scalars(select(outbox.c.name)))
    assert reasons == ["imported", "imported"]
    assert names == ["leads.lead.created.v1"] * 2 + ["leads.lead.distributed.v1"] * 2


def test_the_job_row_advances_in_committed_steps(client, manager, uow_factory, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK", 2)
    seen = []
    real_hold = ImportQueue.hold

    def watching(queue, import_id, runner):
        # What another request reads as each of the runner's transactions begins (before it locks SQLite).
        with uow_factory() as other:
            seen.append((other.imports.get(import_id)["status"], other.imports.get(import_id)["processed"]))
        return real_hold(queue, import_id, runner)

    monkeypatch.setattr(ImportQueue, "hold", watching)
    rows = [(f"Company {n}", f"Person {n}", f"1380013{n:04d}", "", "web", "") for n in range(7)]
    job = imported(client, manager, csv_bytes(rows))
    assert seen == [("running", 0), ("running", 0), ("running", 2), ("running", 4), ("running", 6), ("running", 7)]
    assert (job["processed"], job["created"], job["status"]) == (7, 7, "completed")


def test_duplicates_in_the_pool_and_in_the_file_are_skipped(client, manager, uow_factory):
    assert imported(client, manager, csv_bytes(GOOD[:1]))["created"] == 1
    rows = [GOOD[0], GOOD[1], ("Acme Again", "J. Smith", "", "JOHN@acme.com", "web", "")]
    dry = upload(client, manager, csv_bytes(rows), dry_run=True).json
    assert (dry["would_create"], dry["would_skip"]) == (1, 2)
    job = imported(client, manager, csv_bytes(rows), on_duplicate="skip")
    assert (job["created"], job["skipped"], job["merged"]) == (1, 2, 0)
    with uow_factory() as uow:
        assert uow.session.execute(select(func.count()).select_from(leads)).scalar_one() == 2


def test_duplicates_merged_fill_in_what_the_existing_lead_lacks(client, manager):
    imported(client, manager, csv_bytes([("锦佳", "王芳", "13800138000", "", "web", "")]))
    rows = [("锦佳 second", "王芳", "13800138000", "wang@jinjia.cn", "web", "vip"),
            ("New Co", "Zhao", "13900139000", "", "web", ""),
            ("New Co copy", "Zhao", "13900139000", "zhao@new.cn", "web", "")]
    job = imported(client, manager, csv_bytes(rows), on_duplicate="merge")
    assert (job["created"], job["merged"], job["skipped"]) == (1, 2, 0)
    found = {f["company"]: f for f in client.get("/api/v1/leads/search", query_string={"q": "1380013"},
                                                 headers=manager).json["items"]}
    assert found["锦佳"]["email"] == "wang@jinjia.cn" and found["锦佳"]["tags"] == ["vip"]
    new = client.get("/api/v1/leads/search", query_string={"q": "new co"}, headers=manager).json["items"]
    assert [(n["company"], n["email"]) for n in new] == [("New Co", "zhao@new.cn")]


def test_duplicates_are_imported_when_allowed(client, manager):
    imported(client, manager, csv_bytes(GOOD[:1]))
    assert imported(client, manager, csv_bytes(GOOD[:1]), on_duplicate="allow")["created"] == 1


def test_xlsx_files_import_like_csv_with_numbers_as_text(client, manager):
    rows = [("安徽锦佳信息技术有限公司", "王芳", 13800138000, "wang@jinjia.cn", "fair", None)]
    job = imported(client, manager, xlsx_bytes(rows), name="leads.xlsx")
    assert (job["file_format"], job["created"]) == ("xlsx", 1)
    found = client.get("/api/v1/leads/search", query_string={"q": "锦佳"}, headers=manager).json["items"]
    assert found[0]["phone"] == "13800138000"


def test_gb18030_csv_files_from_chinese_excel_are_read(client, manager):
    job = imported(client, manager, csv_bytes(GOOD, encoding="gb18030"))
    assert job["created"] == 3


def _replace_member(xlsx: bytes, member: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, content if info.filename == member else source.read(info.filename))
    return buffer.getvalue()


ENTITY_BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
               b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
               b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
               b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>')


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
    return buffer.getvalue()


@pytest.mark.parametrize("name, data, code", [
    ("bomb.xlsx", "entity", "unsafe_file"),
    ("zip.xlsx", "zip", "unsafe_file"),
    ("broken.xlsx", b"PK\x03\x04 this is not a zip", "malformed_file"),
    ("notxlsx.xlsx", "plain-zip", "malformed_file"),
    ("binary.csv", b"\xff\xfe\x00a\x00b\x00c", "malformed_file"),
    ("empty.csv", b"", "malformed_file"),
])
def test_unsafe_or_malformed_files_are_refused_and_nothing_is_written(client, manager, uow_factory, name, data, code):
    if data == "entity":
        data = _replace_member(xlsx_bytes([("A", "B", "1", "", "web", "")]), "xl/worksheets/sheet1.xml", ENTITY_BOMB)
    elif data == "zip":
        data = _zip_bomb()
    elif data == "plain-zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("hello.txt", "hello")
        data = buffer.getvalue()
    before = counts(uow_factory)
    for dry_run in (True, False):
        response = upload(client, manager, data, name=name, dry_run=dry_run)
        assert response.status_code == 422, response.json
        assert response.json["code"] == code
        assert response.json["message"]
    assert counts(uow_factory) == before


def test_a_file_over_the_size_limit_is_refused(client, manager, monkeypatch):
    from leads import imports

    monkeypatch.setattr(imports, "MAX_FILE_BYTES", 100)
    response = upload(client, manager, csv_bytes(GOOD * 5))
    assert response.status_code == 413 and response.json["code"] == "file_too_large"


def test_bad_options_are_refused_before_anything_happens(client, manager, uow_factory):
    before = counts(uow_factory)
    no_column = upload(client, manager, csv_bytes(GOOD), mapping={"Firma": "company", "联系人": "contact_name"})
    assert no_column.status_code == 422 and "mapping" in no_column.json["errors"]
    bad_field = upload(client, manager, csv_bytes(GOOD), mapping={"公司": "salary"})
    assert bad_field.status_code == 422
    bad_choice = upload(client, manager, csv_bytes(GOOD), on_duplicate="ignore")
    assert bad_choice.status_code == 422
    not_json = client.post(IMPORTS, data={"file": (io.BytesIO(b"a"), "a.csv"), "options": "{"}, headers=manager,
                           content_type="multipart/form-data")
    assert not_json.status_code == 422 and not_json.json["code"] == "validation_failed"
    no_file = client.post(IMPORTS, data={"options": "{}"}, headers=manager, content_type="multipart/form-data")
    assert no_file.status_code == 422
    assert counts(uow_factory) == before


def test_only_managers_import_and_only_the_importer_reads_the_job(client, manager, rep1, tokens):
    assert upload(client, rep1, csv_bytes(GOOD)).status_code == 403
    job = upload(client, manager, csv_bytes(GOOD)).json
    other_manager = tokens.headers("manager-2", ["sales_manager"])
    assert client.get(f"{IMPORTS}/{job['id']}", headers=other_manager).status_code == 404
    assert client.get(f"{IMPORTS}/nope", headers=manager).status_code == 404


# -- the runner: resumed, given back, failed -----------------------------------------------------------

class WorkerKilled(BaseException):
    """Stands for the worker process dying mid-chunk: nothing of the runner's own handling runs."""


def dying_on_chunk(monkeypatch, number: int) -> list:
    """Make the runner's `number`th chunk (1-based) die before it commits; the calls so far are counted."""
    calls = []
    real_chunk = import_service._import_chunk

    def chunk(*args):
        calls.append(len(args[1]))
        if len(calls) == number:
            raise WorkerKilled()
        return real_chunk(*args)

    monkeypatch.setattr(import_service, "_import_chunk", chunk)
    return calls


def lead_companies(uow_factory) -> list[str]:
    with uow_factory() as uow:
        return sorted(uow.session.scalars(select(leads.c.company)))


def published_names(uow_factory) -> list[str]:
    with uow_factory() as uow:
        return list(uow.session.scalars(select(outbox.c.name)))


ROWS = [(f"Company {n}", f"Person {n}", f"1390013{n:04d}", "", "web", "") for n in range(7)]


def test_a_stale_import_is_resumed_after_its_committed_rows_without_doubling_leads(
        client, manager, uow_factory, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK", 2)
    dying_on_chunk(monkeypatch, 3)
    queued = upload(client, manager, csv_bytes(ROWS)).json
    with pytest.raises(WorkerKilled):
        ImportRunner(uow_factory).run_next()
    job = client.get(f"{IMPORTS}/{queued['id']}", headers=manager).json
    assert (job["status"], job["processed"], job["created"]) == ("running", 4, 4)

    later = ImportRunner(uow_factory)
    assert later.run_all() == []  # the dead runner's heartbeat is still fresh
    assert later.run_all(utc_now() + later.stale_after + timedelta(seconds=1)) == [queued["id"]]
    job = client.get(f"{IMPORTS}/{queued['id']}", headers=manager).json
    assert (job["status"], job["processed"], job["created"], job["message"]) == ("completed", 7, 7, None)
    assert lead_companies(uow_factory) == sorted(row[0] for row in ROWS)
    assert published_names(uow_factory) == ["leads.lead.created.v1"] * 7


def test_an_import_whose_runner_keeps_dying_is_failed_saying_how_far_it_got(client, manager, uow_factory, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK", 2)
    calls = dying_on_chunk(monkeypatch, 2)
    queued = upload(client, manager, csv_bytes(ROWS)).json
    moment = utc_now()
    for attempt in range(MAX_ATTEMPTS):
        calls.clear()
        with pytest.raises(WorkerKilled):
            ImportRunner(uow_factory).run_next(moment)
        moment += timedelta(seconds=DEFAULT_STALE_SECONDS + 1)
    assert ImportRunner(uow_factory).run_next(moment) == queued["id"]
    job = client.get(f"{IMPORTS}/{queued['id']}", headers=manager).json
    # Each attempt committed one chunk before dying on the next.
    assert (job["status"], job["processed"], job["created"]) == ("failed", 6, 6)
    assert "stopped 3 times" in job["message"] and "6 of 7 rows" in job["message"]
    assert counts(uow_factory)[lead_import_queue.name] == 0
    assert len(lead_companies(uow_factory)) == 6


def test_a_runner_told_to_stop_gives_the_import_back_between_chunks(client, manager, uow_factory, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK", 2)
    stop = threading.Event()
    real_chunk = import_service._import_chunk

    def chunk_then_stop(*args):
        real_chunk(*args)
        stop.set()

    monkeypatch.setattr(import_service, "_import_chunk", chunk_then_stop)
    queued = upload(client, manager, csv_bytes(ROWS)).json
    assert ImportRunner(uow_factory).run_next(stop=stop) == queued["id"]
    job = client.get(f"{IMPORTS}/{queued['id']}", headers=manager).json
    assert (job["status"], job["processed"]) == ("queued", 2)
    monkeypatch.setattr(import_service, "_import_chunk", real_chunk)
    assert ImportRunner(uow_factory).run_all() == [queued["id"]]  # at once: giving back is not dying
    job = client.get(f"{IMPORTS}/{queued['id']}", headers=manager).json
    assert (job["status"], job["created"]) == ("completed", 7)
    assert len(lead_companies(uow_factory)) == 7


def test_an_import_that_breaks_is_failed_with_the_reason_and_its_file_removed(client, manager, uow_factory, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK", 2)
    real_chunk = import_service._import_chunk
    calls = []

    def breaking(*args):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_chunk(*args)

    monkeypatch.setattr(import_service, "_import_chunk", breaking)
    queued = upload(client, manager, csv_bytes(ROWS)).json
    assert ImportRunner(uow_factory).run_all() == [queued["id"]]
    job = client.get(f"{IMPORTS}/{queued['id']}", headers=manager).json
    assert (job["status"], job["created"]) == ("failed", 2)
    assert job["message"] == "Stopped after 2 rows: RuntimeError: disk full"
    assert counts(uow_factory)[lead_import_queue.name] == 0
