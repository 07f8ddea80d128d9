"""Writing lead lists to CSV and XLSX a page at a time, with cells that a spreadsheet would run as formulas neutralised."""
from __future__ import annotations

import csv
import io
import os
import tempfile
from datetime import datetime
from typing import Iterable, Iterator

from crm_shared.envelope import format_time

COLUMNS = (
    "id", "company", "contact_name", "phone", "email", "channel", "status", "owner_id", "pool_id", "region",
    "industry", "company_size", "tags", "campaign", "notes", "created_at", "claimed_at", "converted_at", "masked",
)
# A cell starting with one of these is a formula (or the start of one) to Excel, LibreOffice and Sheets.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_BYTES = 64 * 1024


def neutralise(value: str) -> str:
    """`=HYPERLINK(...)` -> `'=HYPERLINK(...)`: shown as text, never run (OWASP CSV injection)."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def cells(view: dict) -> list:
    """One lead view as export cells: text neutralised, tags joined, times in UTC ISO 8601."""
    row = []
    for name in COLUMNS:
        value = view.get(name)
        if value is None:
            row.append("")
        elif isinstance(value, bool):
            row.append("true" if value else "false")
        elif isinstance(value, datetime):
            row.append(format_time(value))
        elif isinstance(value, (list, tuple)):
            row.append(neutralise("; ".join(value)))
        else:
            row.append(neutralise(str(value)))
    return row


def csv_stream(pages: Iterable[list[dict]]) -> Iterator[bytes]:
    """UTF-8 with a BOM (so Excel reads Chinese right), one chunk per page of leads."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    for page in pages:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(cells(view) for view in page)
        yield buffer.getvalue().encode("utf-8")


def xlsx_stream(pages: Iterable[list[dict]]) -> Iterator[bytes]:
    """Rows go into a write-only workbook (constant memory) on disk; the finished file is sent in chunks.

    An XLSX is a zip whose directory is written last, so it cannot be sent before it is complete.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("leads")
    sheet.append(list(COLUMNS))
    for page in pages:
        for view in page:
            row = []
            for value in cells(view):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # text, even if it looks like a number or a formula
                row.append(cell)
            sheet.append(row)
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook.save(path)
        with open(path, "rb") as file:
            while chunk := file.read(CHUNK_BYTES):
                yield chunk
    finally:
        os.unlink(path)
