"""Reading lead files people upload (CSV, XLSX) without trusting them, and checking each row before import.

XLSX files are zip archives of XML. The archive is refused before it is opened if it holds too many
members, claims too much uncompressed data in total, or a member inflates absurdly (a zip bomb);
Python's zipfile never reads past a member's declared size, so a lying header cannot inflate it
further. openpyxl (read-only mode) parses the XML with defusedxml when it is installed, which refuses
entity declarations (the "billion laughs" bomb) and external entities; this module refuses to read
XLSX at all if openpyxl would not use it. CSV is decoded as UTF-8 (with or without BOM), else GB18030
(a superset of GBK and GB2312, what Chinese Excel writes).
"""
from __future__ import annotations

import csv
import io
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterable, Iterator, Mapping

from marshmallow import ValidationError, validate

from crm_shared.errors import APIError
from leads.matching import STRONG, duplicate_keys, find_duplicates

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 500_000
MAX_UNCOMPRESSED_BYTES = 500 * 1024 * 1024
MAX_MEMBER_RATIO = 200
MAX_MEMBERS = 1000
MAX_STORED_ERRORS = 1000

CSV, XLSX = "csv", "xlsx"
SKIP, MERGE, ALLOW = "skip", "merge", "allow"
ON_DUPLICATE = (SKIP, MERGE, ALLOW)

# field -> longest value; tags are a list written as "a, b; c" in one cell.
FIELDS = {
    "company": 200, "contact_name": 200, "phone": 50, "email": 254, "channel": 50, "region": 100,
    "industry": 100, "company_size": 50, "campaign": 200, "notes": 2000, "tags": 50,
}
REQUIRED = ("company", "contact_name", "channel")
MAX_TAGS = 30
_TAG_SEPARATORS = re.compile(r"[,;，；、|]")
_is_email = validate.Email()


class FileRefused(APIError):
    """The file cannot be imported at all; nothing was written."""

    def __init__(self, code: str, message: str, status: int = 422):
        super().__init__(status, code, message, {"file": [message]})


@dataclass(frozen=True)
class Sheet:
    """A file's header and its data rows (as text), each row with its number as a spreadsheet shows it."""

    file_format: str
    header: list[str]
    rows: list[tuple[int, list[str]]]


def read_sheet(data: bytes, file_name: str) -> Sheet:
    """Read an uploaded CSV or XLSX; refuses (422/413) files too big, malformed or unsafe."""
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused("file_too_large", f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.", 413)
    if not data:
        raise FileRefused("malformed_file", "The file is empty.")
    is_zip = data[:4] == b"PK\x03\x04"
    if file_name.lower().endswith((".xlsx", ".xlsm")) or is_zip:
        header, rows = _read_xlsx(data)
        file_format = XLSX
    else:
        header, rows = _read_csv(data)
        file_format = CSV
    header = [cell.strip() for cell in header]
    if not any(header):
        raise FileRefused("malformed_file", "The first row must name the columns; it is empty.")
    return Sheet(file_format, header, rows)


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if b"\x00" in data[:4096]:
        raise FileRefused("malformed_file", "This is not a text CSV file (UTF-16 and binary files cannot be read).")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused("malformed_file", "The CSV file is neither UTF-8 nor GB18030 (GBK) text.")


def _read_csv(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        text = _decode(data)
    except UnicodeDecodeError as error:
        raise FileRefused("malformed_file", "The CSV file is not valid UTF-8 text after its BOM.") from error
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    # strict: a quote left open would otherwise swallow every later row into one cell, silently.
    reader = csv.reader(io.StringIO(text, newline=""), dialect, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise FileRefused("malformed_file", "The file is empty.")
        rows = []
        for number, values in enumerate(reader, start=2):
            if len(rows) >= MAX_ROWS:
                raise FileRefused("too_many_rows", f"A file may hold at most {MAX_ROWS} rows.")
            if any(value.strip() for value in values):
                rows.append((number, values))
    except csv.Error as error:
        raise FileRefused("malformed_file", f"The CSV file cannot be read near line {reader.line_num}: {error}.") from error
    return header, rows


def _check_archive(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise FileRefused("malformed_file", "The file is not a valid XLSX workbook (not a zip archive).") from error
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise FileRefused("unsafe_file", "The workbook holds too many parts to be a spreadsheet.")
    if sum(member.file_size for member in members) > MAX_UNCOMPRESSED_BYTES:
        raise FileRefused("unsafe_file", "The workbook unpacks to far more data than a spreadsheet needs (zip bomb?).")
    for member in members:
        if member.file_size > 1024 * 1024 and member.file_size > MAX_MEMBER_RATIO * max(member.compress_size, 1):
            raise FileRefused("unsafe_file", f"A part of the workbook ({member.filename}) is compressed "
                              "suspiciously well (zip bomb?).")


def _read_xlsx(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    import openpyxl
    from defusedxml import DefusedXmlException

    if not openpyxl.DEFUSEDXML:
        raise FileRefused("unsafe_file", "XLSX import is off: openpyxl would parse it without defusedxml.")
    _check_archive(data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            if not workbook.worksheets:
                raise FileRefused("malformed_file", "The workbook has no worksheet.")
            rows_iter = workbook.worksheets[0].iter_rows(values_only=True)
            header = [_cell_text(value) for value in next(rows_iter, ())]
            rows = []
            for number, values in enumerate(rows_iter, start=2):
                if len(rows) >= MAX_ROWS:
                    raise FileRefused("too_many_rows", f"A file may hold at most {MAX_ROWS} rows.")
                texts = [_cell_text(value) for value in values]
                if any(texts):
                    rows.append((number, texts))
        finally:
            workbook.close()
    except FileRefused:
        raise
    except Exception as error:  # openpyxl raises anything from KeyError to ParseError on a broken file
        if _caused_by(error, DefusedXmlException):
            raise FileRefused("unsafe_file", "The workbook contains XML entity declarations or external references; "
                              "they are refused (XML bomb?).") from error
        raise FileRefused("malformed_file", f"The file is not a readable XLSX workbook ({type(error).__name__}).") from error
    return header, rows


def _caused_by(error: BaseException, kind: type) -> bool:
    """openpyxl wraps parser errors in ValueError; look down the chain."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, kind):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        # Phone numbers typed into Excel become floats: 13812348000.0 -> "13812348000".
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value).strip()


# --- columns and rows ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowError:
    row: int
    column: str | None
    field: str | None
    reason: str

    def to_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "field": self.field, "reason": self.reason}


def check_mapping(header: list[str], mapping: Mapping[str, str], defaults: Mapping[str, str]) -> dict[str, int]:
    """Field -> column index; 422 naming every mapped column the file lacks and every required field not given."""
    errors: dict[str, list[str]] = {}
    positions = {name: index for index, name in reversed(list(enumerate(header)))}
    columns = {}
    for column, field_name in mapping.items():
        if column not in positions:
            errors.setdefault("mapping", []).append(f"The file has no column {column!r}.")
        elif field_name in columns:
            errors.setdefault("mapping", []).append(f"Two columns are mapped to {field_name}.")
        else:
            columns[field_name] = positions[column]
    for name in REQUIRED:
        if name not in columns and not defaults.get(name):
            errors.setdefault("mapping", []).append(f"Map a column to {name} (or give defaults.{name}).")
    if errors:
        raise APIError(422, "validation_failed", "The column mapping does not fit the file. " + " ".join(errors["mapping"]),
                       errors)
    return columns


def read_rows(sheet: Sheet, columns: Mapping[str, int], defaults: Mapping[str, str]) -> tuple[list[dict], list[RowError]]:
    """The good rows as lead fields (each with `row` and a new `id`), and every problem of the bad ones."""
    names = {index: sheet.header[index] for index in columns.values()}
    good, bad = [], []
    for number, values in sheet.rows:
        fields, problems = {}, []
        for name, index in columns.items():
            fields[name] = values[index].strip() if index < len(values) else ""
        for name, value in defaults.items():
            if not fields.get(name):
                fields[name] = value
        for name, longest in FIELDS.items():
            value = fields.get(name) or None
            column = names.get(columns.get(name))
            if name == "tags":
                tags = sorted({tag.strip() for tag in _TAG_SEPARATORS.split(value or "") if tag.strip()})
                if any(len(tag) > longest for tag in tags):
                    problems.append(RowError(number, column, name, f"A tag is longer than {longest} characters."))
                elif len(tags) > MAX_TAGS:
                    problems.append(RowError(number, column, name, f"At most {MAX_TAGS} tags."))
                fields["tags"] = tags
                continue
            if value is None:
                if name in REQUIRED:
                    problems.append(RowError(number, column, name, "Required; the cell is empty."))
                fields[name] = None
            elif len(value) > longest:
                problems.append(RowError(number, column, name, f"Longer than {longest} characters."))
            elif name == "email":
                try:
                    _is_email(value)
                except ValidationError:
                    problems.append(RowError(number, column, name, "Not a valid e-mail address."))
            if value is not None:
                fields[name] = value
        if problems:
            bad.extend(problems)
        else:
            good.append({"row": number, "id": str(uuid.uuid4()), **fields})
    return good, bad


# --- duplicates within the file and against the pool -------------------------------------------------

CREATE, SKIPPED, MERGED_INTO = "create", "skip", "merge"


@dataclass
class Sieve:
    """Decides for each good row, in file order: create it, skip it, or merge it into a lead (or an earlier row)."""

    on_duplicate: str
    file_keys: dict[str, list[str]] = field(default_factory=dict)
    weak: int = 0

    def decide(self, row: dict, existing: Mapping[str, Iterable[str]]) -> tuple[str, str | None]:
        keys = row_keys(row)
        seen = {key: [*existing.get(key, ()), *self.file_keys.get(key, ())] for key in keys}
        matches = find_duplicates(keys, seen)
        strong = [match for match in matches if match.strength == STRONG]
        if strong and self.on_duplicate == SKIP:
            return SKIPPED, None
        if strong and self.on_duplicate == MERGE:
            target = strong[0].lead_id
            # Later rows sharing only this row's other keys find the same lead.
            for key in keys:
                self.file_keys.setdefault(key, []).append(target)
            return MERGED_INTO, target
        if matches:
            self.weak += 1
        for key in keys:
            self.file_keys.setdefault(key, []).append(row["id"])
        return CREATE, None


def row_keys(row: dict) -> set[str]:
    """A row's duplicate keys, worked out once (normalising is most of an import's CPU time)."""
    if "keys" not in row:
        row["keys"] = duplicate_keys(row.get("company"), row.get("phone"), row.get("email"))
    return row["keys"]


def keys_of_rows(rows: Iterable[dict]) -> set[str]:
    keys = set()
    for row in rows:
        keys |= row_keys(row)
    return keys


def fill_blanks(target: dict, row: dict) -> None:
    """A duplicate row merged into a row of the same file: the earlier row takes what it lacks."""
    target.pop("keys", None)
    for name in ("phone", "email", "region", "industry", "company_size", "campaign"):
        if not target.get(name) and row.get(name):
            target[name] = row[name]
    target["tags"] = sorted(set(target.get("tags") or ()) | set(row.get("tags") or ()))
    if row.get("notes"):
        target["notes"] = f"{target['notes']}\n{row['notes']}" if target.get("notes") else row["notes"]


def chunks(rows: list, size: int) -> Iterator[list]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]
