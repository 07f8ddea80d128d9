"""Report rows streamed out as CSV or XLSX, typed per column, with would-be spreadsheet formulas neutralised."""
from __future__ import annotations

import contextlib
import csv
import html
import io
import math
import os
import re
import string
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from crm_shared.errors import APIError
from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

COLUMN_KINDS = ("text", "number", "integer", "money", "date", "datetime", "boolean", "percent")
CHUNK_BYTES = 64 * 1024
_ENCODE_CHARS = 4 * 1024
# A cell starting with one of these is a formula (or the start of one) to Excel, LibreOffice and Sheets.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_DEFAULT_FORMATS = {
    "number": "General",
    "integer": "0",
    "money": "#,##0.00",
    "percent": "0.00%",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm:ss",
}
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\\*?:/\[\]]")
_SHEET_TITLE_MAX = 31
_TITLE_EDGES = string.whitespace + "'"
# Every string is written as a string: none is ever read as a formula, a link or a number.
_WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
_XLSX_MAX_DATA_ROWS = 1_048_576 - 1  # the sheet's rows less the header
_XLSX_MAX_STRING = 32_767  # UTF-16 units in one cell
# Characters XML 1.0 cannot hold (tab, line feed and carriage return it can).
_XML_ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TEXT_RUN = '<r><t xml:space="preserve">{}</t></r>'
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class ExportColumn:
    """One column of an export: where its value is in a row, its header, and how its cells are typed."""

    key: str
    label: str
    kind: str
    format: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in COLUMN_KINDS:
            raise ValueError(f"column {self.key!r} has kind {self.kind!r}; use one of {', '.join(COLUMN_KINDS)}")

    @property
    def number_format(self) -> str:
        return self.format or _DEFAULT_FORMATS.get(self.kind, "General")


class ExportTooLarge(APIError):
    def __init__(self) -> None:
        super().__init__(
            422,
            "export_too_large",
            f"An XLSX sheet holds at most {_XLSX_MAX_DATA_ROWS:,} rows; narrow the filter or export as CSV.",
        )


def safe_cell_text(value: str) -> str:
    """`=HYPERLINK(...)` -> `'=HYPERLINK(...)`: shown as text, never run (OWASP CSV injection)."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def stream_csv(columns: Sequence[ExportColumn], rows: Iterable[Mapping]) -> Iterator[bytes]:
    """RFC 4180 CSV (CRLF lines) in UTF-8 with a BOM so Excel reads Chinese right, sent in ~64 KiB chunks.

    Cells carry plain values a program can read back: numbers without grouping, dates in ISO 8601,
    times in UTC ending in `Z`; the columns' display formats apply to XLSX only.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([safe_cell_text(column.label) for column in columns])
    chunk = bytearray()
    for row in rows:
        writer.writerow([_csv_text(column, row.get(column.key)) for column in columns])
        # Characters are encoded a few KiB at a time: a Chinese character is three bytes, not one.
        if buffer.tell() >= _ENCODE_CHARS:
            chunk += _drain(buffer)
            if len(chunk) >= CHUNK_BYTES:
                yield bytes(chunk)
                chunk.clear()
    chunk += _drain(buffer)
    if chunk:
        yield bytes(chunk)


def stream_xlsx(
    columns: Sequence[ExportColumn], rows: Iterable[Mapping], *, sheet_title: str = "Report"
) -> Iterator[bytes]:
    """Rows go into a constant-memory workbook on disk, one row at a time; the finished file is then sent in chunks.

    An XLSX is a zip whose directory is written last, so nothing can be sent before the last row is in.
    Every file the workbook needs lives in one temporary folder, removed however the export ends.
    """
    with tempfile.TemporaryDirectory(prefix="report-xlsx-") as folder:
        path = os.path.join(folder, "report.xlsx")
        _write_workbook(path, folder, columns, rows, _sheet_title(sheet_title))
        with open(path, "rb") as file:
            while chunk := file.read(CHUNK_BYTES):
                yield chunk


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


def _csv_text(column: ExportColumn, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if _is_number(value):
        if column.kind == "money":
            return _plain_money(value)
        return format(value, "f") if isinstance(value, Decimal) else str(value)
    if isinstance(value, datetime):
        if column.kind == "date":
            return _as_naive_utc(value).date().isoformat()
        return _as_naive_utc(value).isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return safe_cell_text(str(value))


def _write_workbook(
    path: str, folder: str, columns: Sequence[ExportColumn], rows: Iterable[Mapping], title: str
) -> None:
    workbook = Workbook(path, {**_WORKBOOK_OPTIONS, "tmpdir": folder})
    sheet = workbook.add_worksheet(title)
    try:
        sheet.freeze_panes(1, 0)
        bold = workbook.add_format({"bold": True})
        writers = [_XlsxColumn(workbook, sheet, index, column) for index, column in enumerate(columns)]
        for index, column in enumerate(columns):
            sheet.set_column(index, index, _column_width(column))
            _write_text(sheet, 0, index, column.label, bold)
        for row_number, row in enumerate(rows, start=1):
            if row_number > _XLSX_MAX_DATA_ROWS:
                # XlsxWriter drops cells past the last row without a word: refuse rather than cut the report short.
                raise ExportTooLarge()
            get = row.get
            for writer in writers:
                value = get(writer.key)
                if value is not None:
                    writer.write(row_number, value)
        workbook.close()
    except BaseException:
        _discard(sheet)
        raise


class _XlsxColumn:
    """Writes the cells of one column: its formats are made once, and how to write each type of value is worked
    out once per type, instead of for every cell."""

    def __init__(self, workbook: Workbook, sheet: Worksheet, index: int, column: ExportColumn) -> None:
        self.key = column.key
        self._sheet = sheet
        self._index = index
        self._column = column
        # A date in a date column and a time in a time column take the column's format; a time shown as a date
        # (or the other way round) takes the column's own format if it has one, else the default of its value.
        moment_format = column.number_format if column.kind == "date" else column.format or _DEFAULT_FORMATS["datetime"]
        day_format = column.number_format if column.kind == "datetime" else column.format or _DEFAULT_FORMATS["date"]
        self._number_format = workbook.add_format({"num_format": column.number_format})
        self._moment_format = workbook.add_format({"num_format": moment_format})
        self._day_format = workbook.add_format({"num_format": day_format})
        self._writers: dict[type, Callable[[int, Any], None]] = {}

    def write(self, row_number: int, value: Any) -> None:
        try:
            writer = self._writers[value.__class__]
        except KeyError:
            writer = self._writers[value.__class__] = self._writer_for(value.__class__)
        writer(row_number, value)

    def _writer_for(self, value_type: type) -> Callable[[int, Any], None]:
        if self._column.kind == "text" and not issubclass(value_type, str):
            return self._write_plain_text
        if issubclass(value_type, bool):
            return self._write_boolean
        if issubclass(value_type, (int, float, Decimal)):
            return self._write_number
        if issubclass(value_type, datetime):
            return self._write_moment
        if issubclass(value_type, date):
            return self._write_date
        return self._write_as_text

    def _write_plain_text(self, row_number: int, value: Any) -> None:
        # The plain-value text is already neutralised where it came from text.
        _write_text(self._sheet, row_number, self._index, _csv_text(self._column, value), neutralise=False)

    def _write_as_text(self, row_number: int, value: Any) -> None:
        _write_text(self._sheet, row_number, self._index, str(value))

    def _write_boolean(self, row_number: int, value: bool) -> None:
        self._sheet.write_boolean(row_number, self._index, value)

    def _write_number(self, row_number: int, value: int | float | Decimal) -> None:
        try:
            finite = math.isfinite(value)
        except (OverflowError, ValueError):  # an int beyond any float, or a signalling Decimal NaN
            finite = False
        if finite:
            self._sheet.write_number(row_number, self._index, value, self._number_format)
        else:
            # A spreadsheet number cannot hold it; its text says what it was.
            _write_text(self._sheet, row_number, self._index, str(value), neutralise=False)

    def _write_moment(self, row_number: int, value: datetime) -> None:
        moment = _as_naive_utc(value)
        if self._column.kind == "date":
            self._sheet.write_datetime(row_number, self._index, moment.date(), self._moment_format)
        else:
            self._sheet.write_datetime(row_number, self._index, moment, self._moment_format)

    def _write_date(self, row_number: int, value: date) -> None:
        self._sheet.write_datetime(row_number, self._index, value, self._day_format)


def _write_text(
    sheet: Worksheet, row: int, column: int, text: str, cell_format: Format | None = None, *, neutralise: bool = True
) -> None:
    # XML cannot hold these control characters at all, and they carry no meaning in a report. They go first, so
    # that the formula check sees the text as it will be shown.
    text = _XML_ILLEGAL_CHARACTERS.sub("", text)
    if neutralise:
        text = safe_cell_text(text)
    if len(text) > _XLSX_MAX_STRING // 2:
        # Cut here as XlsxWriter would, so that the check below sees the very text that is stored.
        text = _utf16_cut(text, _XLSX_MAX_STRING)
    if text.startswith("<r>") and text.endswith("</r>"):
        # XlsxWriter copies such a string into the sheet's XML unescaped, taking it for rich text it made itself:
        # a row value could then add any cell, a formula included. Escaped inside a run, it stays the same text.
        text = _as_text_run(text)
    sheet.write_string(row, column, text, cell_format)


def _as_text_run(text: str) -> str:
    run = _TEXT_RUN.format(html.escape(text, quote=False))
    if _utf16_length(run) <= _XLSX_MAX_STRING:
        return run
    # XlsxWriter cuts a longer string, which would leave the markup unclosed: cut the text instead.
    room = _XLSX_MAX_STRING - _utf16_length(_TEXT_RUN.format(""))
    pieces = []
    for char in text:
        piece = html.escape(char, quote=False)
        room -= _utf16_length(piece)
        if room < 0:
            break
        pieces.append(piece)
    return _TEXT_RUN.format("".join(pieces))


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _utf16_cut(text: str, limit: int) -> str:
    """The longest start of `text` that is at most `limit` UTF-16 units, the unit of Excel's length limits."""
    while _utf16_length(text) > limit:
        text = text[: len(text) - (_utf16_length(text) - limit + 1) // 2]
    return text


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _plain_money(value: int | float | Decimal) -> str:
    amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if amount.is_finite() and amount.as_tuple().exponent > -2:
        amount = amount.quantize(_CENT)
    return format(amount, "f")


def _as_naive_utc(moment: datetime) -> datetime:
    """Spreadsheets have no time zones: aware times are shown in UTC; naive ones are taken to be UTC already."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _sheet_title(title: str) -> str:
    cleaned = _SHEET_TITLE_FORBIDDEN.sub(" ", _XML_ILLEGAL_CHARACTERS.sub("", title)).strip(_TITLE_EDGES)
    # Excel counts a title's length in UTF-16 units and refuses one that starts or ends with a quote.
    return _utf16_cut(cleaned, _SHEET_TITLE_MAX).rstrip(_TITLE_EDGES) or "Report"


def _column_width(column: ExportColumn) -> float:
    label_width = sum(2 if ord(char) > 0x2E7F else 1 for char in column.label)
    kind_width = {"date": 12, "datetime": 20, "money": 14}.get(column.kind, 10)
    return min(60, max(kind_width, label_width + 2))


def _discard(sheet: Worksheet) -> None:
    """Close the file XlsxWriter keeps the rows in (its folder is removed by the caller), as `close()` would."""
    with contextlib.suppress(Exception):
        sheet._opt_close()
