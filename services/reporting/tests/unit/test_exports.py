"""Report exports: CSV and XLSX cells typed per column, formulas neutralised, rows streamed instead of held."""
import csv
import io
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

import reporting.exports as exports
from reporting.exports import (
    CHUNK_BYTES,
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    ExportColumn,
    ExportTooLarge,
    safe_cell_text,
    stream_csv,
    stream_xlsx,
)

BEIJING = timezone(timedelta(hours=8))
COLUMNS = [
    ExportColumn("company", "客户名称", "text"),
    ExportColumn("amount", "Amount", "money"),
    ExportColumn("deals", "Deals", "integer"),
    ExportColumn("score", "Score", "number"),
    ExportColumn("won_on", "Won on", "date"),
    ExportColumn("updated_at", "Updated at", "datetime"),
    ExportColumn("active", "Active", "boolean"),
    ExportColumn("share", "Share", "percent"),
]
ROW = {
    "company": "上海某某科技有限公司",
    "amount": Decimal("1234.5"),
    "deals": -3,
    "score": 0.125,
    "won_on": date(2026, 11, 27),
    "updated_at": datetime(2026, 11, 27, 9, 30, tzinfo=BEIJING),
    "active": True,
    "share": 0.25,
}
INJECTIONS = ['=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\t=1", "\r=1"]


def read_csv(chunks) -> list[list[str]]:
    text = b"".join(chunks).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def read_xlsx(chunks):
    return load_workbook(io.BytesIO(b"".join(chunks))).active


def data_cells(sheet) -> list:
    return [list(row) for row in sheet.iter_rows(min_row=2)]


def test_the_media_types_are_the_registered_ones():
    assert CSV_MEDIA_TYPE.startswith("text/csv")
    assert XLSX_MEDIA_TYPE == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_a_csv_export_reads_back_cell_for_cell_with_chinese_commas_quotes_newlines_and_blanks():
    columns = [ExportColumn("company", "客户, \"名称\"", "text"), ExportColumn("notes", "Notes", "text")]
    rows = [
        {"company": "北京, 有限公司", "notes": 'said "yes"\nthen left'},
        {"company": None, "notes": "line one\r\nline two"},
        {"company": "plain"},
    ]

    assert read_csv(stream_csv(columns, rows)) == [
        ['客户, "名称"', "Notes"],
        ["北京, 有限公司", 'said "yes"\nthen left'],
        ["", "line one\r\nline two"],
        ["plain", ""],
    ]


def test_a_csv_export_starts_with_a_utf8_bom_and_ends_every_record_with_crlf():
    data = b"".join(stream_csv(COLUMNS[:2], [{"company": "甲", "amount": 1}, {"company": "乙", "amount": 2}]))

    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == "客户名称,Amount\r\n甲,1.00\r\n乙,2.00\r\n"


def test_csv_cells_carry_plain_values_a_program_can_read_back():
    [header, values] = read_csv(stream_csv(COLUMNS, [ROW]))

    assert header == [column.label for column in COLUMNS]
    assert values == [
        "上海某某科技有限公司", "1234.50", "-3", "0.125", "2026-11-27", "2026-11-27T01:30:00Z", "TRUE", "0.25",
    ]


def test_csv_money_keeps_every_digit_of_a_decimal_and_writes_no_exponent():
    rows = [{"amount": Decimal("0.005")}, {"amount": Decimal("1E+3")}, {"amount": 7}]

    assert read_csv(stream_csv([ExportColumn("amount", "Amount", "money")], rows))[1:] == [
        ["0.005"], ["1000.00"], ["7.00"],
    ]


def test_the_csv_export_sends_a_chunk_of_about_64_kib_before_reading_every_row():
    read = []

    def rows():
        for number in range(20_000):
            read.append(number)
            yield {"company": f"客户 {number}", "amount": number}

    chunks = stream_csv(COLUMNS[:2], rows())
    first = next(chunks)

    assert CHUNK_BYTES <= len(first) < CHUNK_BYTES + 16 * 1024
    assert len(read) < 20_000
    assert sum(len(chunk) for chunk in chunks) > 0 and len(read) == 20_000


def test_an_xlsx_export_reads_back_with_typed_cells_and_number_formats():
    sheet = read_xlsx(stream_xlsx(COLUMNS, [ROW, {"company": "空行"}]))
    [row, blank] = data_cells(sheet)

    assert [cell.value for cell in row] == [
        "上海某某科技有限公司",
        1234.5,
        -3,
        0.125,
        datetime(2026, 11, 27),
        datetime(2026, 11, 27, 1, 30),
        True,
        0.25,
    ]
    assert [cell.data_type for cell in row] == ["s", "n", "n", "n", "d", "d", "b", "n"]
    assert [cell.number_format for cell in row][1:] == [
        "#,##0.00", "0", "General", "yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss", "General", "0.00%",
    ]
    assert [cell.value for cell in blank] == ["空行"] + [None] * 7


def test_the_xlsx_header_row_holds_the_labels_in_bold_and_stays_in_view():
    sheet = read_xlsx(stream_xlsx(COLUMNS, [ROW]))
    header = next(sheet.iter_rows(max_row=1))

    assert [cell.value for cell in header] == [column.label for column in COLUMNS]
    assert all(cell.font.b for cell in header)
    assert not any(cell.font.b for cell in data_cells(sheet)[0])
    assert sheet.freeze_panes == "A2"


def test_a_column_format_replaces_the_default_number_format_in_xlsx():
    columns = [
        ExportColumn("amount", "Amount", "money", format="0.00"),
        ExportColumn("share", "Share", "percent", format="0%"),
        ExportColumn("won_on", "Won on", "date", format="dd/mm/yyyy"),
    ]
    sheet = read_xlsx(stream_xlsx(columns, [{"amount": 3, "share": 0.5, "won_on": date(2026, 1, 2)}]))

    assert [cell.number_format for cell in data_cells(sheet)[0]] == ["0.00", "0%", "dd/mm/yyyy"]


def test_a_time_in_a_date_column_is_exported_as_its_utc_day():
    rows = [{"won_on": datetime(2026, 11, 27, 2, 0, tzinfo=BEIJING)}]
    columns = [ExportColumn("won_on", "Won on", "date")]

    assert read_csv(stream_csv(columns, rows))[1] == ["2026-11-26"]
    assert data_cells(read_xlsx(stream_xlsx(columns, rows)))[0][0].value == datetime(2026, 11, 26)


def test_the_sheet_gets_the_title_asked_for_cleaned_of_what_excel_forbids():
    assert read_xlsx(stream_xlsx(COLUMNS, [], sheet_title="销售报表")).title == "销售报表"
    assert read_xlsx(stream_xlsx(COLUMNS, [], sheet_title="Q4 [north/south]: won?")).title == "Q4  north south   won"
    assert read_xlsx(stream_xlsx(COLUMNS, [], sheet_title="///")).title == "Report"
    assert len(read_xlsx(stream_xlsx(COLUMNS, [], sheet_title="x" * 40)).title) == 31


def test_control_characters_that_xlsx_cannot_hold_are_dropped_instead_of_failing_the_export():
    sheet = read_xlsx(stream_xlsx(COLUMNS[:1], [{"company": "Acme\x00\x07 Ltd"}]))

    assert data_cells(sheet)[0][0].value == "Acme Ltd"


@pytest.mark.parametrize("payload", INJECTIONS)
def test_text_a_spreadsheet_would_run_as_a_formula_is_prefixed_with_a_quote(payload):
    assert safe_cell_text(payload) == "'" + payload


@pytest.mark.parametrize("text", ["Acme", "a=b", "1+1", "中文", "", "'quoted", " =1"])
def test_ordinary_text_is_left_as_it_is(text):
    assert safe_cell_text(text) == text


@pytest.mark.parametrize("payload", INJECTIONS)
def test_a_formula_in_a_text_cell_is_neutralised_in_csv(payload):
    assert read_csv(stream_csv(COLUMNS[:1], [{"company": payload}]))[1] == ["'" + payload]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_a_formula_in_a_text_cell_is_stored_in_xlsx_as_quoted_text_never_as_a_formula(payload):
    cell = data_cells(read_xlsx(stream_xlsx(COLUMNS[:1], [{"company": payload}])))[0][0]

    assert cell.data_type == "s"
    # A carriage return is stored as Excel's `_x000D_` escape, which Excel (and `unescape`) reads back as one.
    assert unescape(cell.value) == "'" + payload


@pytest.mark.parametrize("payload", ["-1+2", "=1+2", "+5"])
def test_text_that_looks_like_arithmetic_in_a_number_column_is_neutralised_as_text(payload):
    columns = [ExportColumn("amount", "Amount", "money")]

    assert read_csv(stream_csv(columns, [{"amount": payload}]))[1] == ["'" + payload]
    cell = data_cells(read_xlsx(stream_xlsx(columns, [{"amount": payload}])))[0][0]
    assert (cell.value, cell.data_type) == ("'" + payload, "s")


def test_a_header_label_that_looks_like_a_formula_is_neutralised_too():
    columns = [ExportColumn("amount", "=cmd()", "money")]

    assert read_csv(stream_csv(columns, []))[0] == ["'=cmd()"]
    assert read_xlsx(stream_xlsx(columns, [])).cell(1, 1).value == "'=cmd()"


def test_negative_numbers_are_exported_as_numbers_untouched():
    columns = [ExportColumn("deals", "Deals", "integer"), ExportColumn("amount", "Amount", "money")]
    rows = [{"deals": -2, "amount": Decimal("-3.5")}]

    assert read_csv(stream_csv(columns, rows))[1] == ["-2", "-3.50"]
    assert [cell.value for cell in data_cells(read_xlsx(stream_xlsx(columns, rows)))[0]] == [-2, -3.5]


def test_text_shaped_like_xlsx_rich_text_markup_stays_text_and_adds_no_cell():
    # Such a string would otherwise be copied into the sheet's XML as it is, formula and all.
    payload = '<r><t>a</t></r></is></c><c r="B2"><f>HYPERLINK("http://evil.example","y")</f></c><c><is><r><t>b</t></r>'
    columns = [ExportColumn("company", "<r>&amp;</r>", "text")]
    sheet = read_xlsx(stream_xlsx(columns, [{"company": payload}]))

    assert sheet.cell(1, 1).value == "<r>&amp;</r>"
    assert (sheet.cell(2, 1).value, sheet.cell(2, 1).data_type) == (payload, "s")
    assert sheet.max_column == 1 and sheet.cell(2, 2).value is None


@pytest.mark.parametrize("padding", [32_767 - 3, 40_000])
def test_markup_that_only_closes_where_a_long_text_is_cut_stays_text_too(padding):
    injection = '<r><t>a</t></r></is></c><c r="B2"><f>1+1</f></c><c><is><r><t>b</t></r>'
    payload = injection + "x" * (32_767 - len(injection) - 4) + "</r>" + "y" * padding
    cell = data_cells(read_xlsx(stream_xlsx(COLUMNS[:1], [{"company": payload}])))[0][0]

    assert cell.data_type == "s"
    assert payload.startswith(cell.value) and len(cell.value) > 32_000
    assert cell.parent.max_column == 1


def test_a_text_shaped_like_markup_is_cut_where_its_escaped_form_would_pass_the_cell_limit():
    payload = "<r>" + "&" * 10_000 + "😀</r>"
    cell = data_cells(read_xlsx(stream_xlsx(COLUMNS[:1], [{"company": payload}])))[0][0]

    # Each "&" takes five characters once escaped, and Excel holds 32,767 at most.
    assert cell.data_type == "s"
    assert payload.startswith(cell.value) and 6_000 < len(cell.value) < 6_600


def test_values_a_spreadsheet_number_cannot_hold_are_written_as_their_text():
    columns = [ExportColumn("score", "Score", "number")]
    rows = [{"score": float("nan")}, {"score": float("-inf")}, {"score": Decimal("NaN")}, {"score": 10**400}]

    cells = [row[0] for row in data_cells(read_xlsx(stream_xlsx(columns, rows)))]

    assert [(cell.value, cell.data_type) for cell in cells] == [
        ("nan", "s"), ("-inf", "s"), ("NaN", "s"), (str(10**400), "s"),
    ]


def test_values_of_other_types_and_subclasses_are_typed_like_their_base():
    class Flag(int):
        pass

    columns = [
        ExportColumn("company", "Company", "text"),
        ExportColumn("deals", "Deals", "integer"),
        ExportColumn("active", "Active", "boolean"),
        ExportColumn("won_on", "Won on", "datetime"),
    ]
    rows = [
        {"company": 42, "deals": Flag(7), "active": "=1+1", "won_on": date(2026, 3, 4)},
        {"company": Decimal("1.5"), "deals": "n/a", "active": False, "won_on": None},
    ]
    [first, second] = data_cells(read_xlsx(stream_xlsx(columns, rows)))

    assert [(cell.value, cell.data_type) for cell in first] == [
        ("42", "s"), (7, "n"), ("'=1+1", "s"), (datetime(2026, 3, 4), "d"),
    ]
    assert first[3].number_format == "yyyy-mm-dd hh:mm:ss"
    assert [(cell.value, cell.data_type) for cell in second[:3]] == [("1.5", "s"), ("n/a", "s"), (False, "b")]


def test_control_characters_are_dropped_before_the_formula_check():
    cell = data_cells(read_xlsx(stream_xlsx(COLUMNS[:1], [{"company": "\x00=cmd()"}])))[0][0]

    assert cell.value == "'=cmd()"


def test_a_sheet_title_is_cut_to_31_utf16_units_and_never_ends_with_a_quote():
    assert read_xlsx(stream_xlsx(COLUMNS, [], sheet_title="😀" * 20)).title == "😀" * 15
    assert read_xlsx(stream_xlsx(COLUMNS, [], sheet_title="x" * 29 + " ''y")).title == "x" * 29
    assert read_xlsx(stream_xlsx(COLUMNS, [], sheet_title="'quoted'\x07")).title == "quoted"


def test_an_export_with_more_rows_than_a_sheet_holds_is_refused_rather_than_cut(monkeypatch):
    monkeypatch.setattr(exports, "_XLSX_MAX_DATA_ROWS", 3)

    assert len(data_cells(read_xlsx(stream_xlsx(COLUMNS[:1], [{"company": "x"}] * 3)))) == 3
    with pytest.raises(ExportTooLarge) as refused:
        b"".join(stream_xlsx(COLUMNS[:1], [{"company": "x"}] * 4))
    assert (refused.value.status, refused.value.code) == (422, "export_too_large")
    assert "export as CSV" in refused.value.message


def test_no_row_is_read_before_the_first_chunk_is_asked_for():
    read = []

    def rows():
        read.append(1)
        yield ROW

    chunks = stream_xlsx(COLUMNS, rows())

    assert read == []
    assert next(chunks).startswith(b"PK") and read == [1]


class Broken(Exception):
    pass


def test_the_workbook_files_are_removed_when_the_rows_fail_half_way(tmp_path, monkeypatch):
    monkeypatch.setattr(exports.tempfile, "tempdir", str(tmp_path))

    def rows():
        yield ROW
        raise Broken()

    with pytest.raises(Broken):
        b"".join(stream_xlsx(COLUMNS, rows()))

    assert list(tmp_path.iterdir()) == []


def test_the_workbook_files_are_removed_when_the_download_stops_early(tmp_path, monkeypatch):
    monkeypatch.setattr(exports.tempfile, "tempdir", str(tmp_path))
    chunks = stream_xlsx(COLUMNS, ({**ROW, "company": f"客户 {number}"} for number in range(20_000)))

    next(chunks)
    assert list(tmp_path.iterdir()) != []
    chunks.close()

    assert list(tmp_path.iterdir()) == []


def test_the_workbook_files_are_removed_after_a_complete_export(tmp_path, monkeypatch):
    monkeypatch.setattr(exports.tempfile, "tempdir", str(tmp_path))

    assert read_xlsx(stream_xlsx(COLUMNS, [ROW])).max_row == 2
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_column_kind_is_refused_with_the_kinds_that_exist():
    with pytest.raises(ValueError, match="use one of text, number"):
        ExportColumn("amount", "Amount", "currency")


class CountedRow(dict):
    """A row that counts how many of its kind are alive, to show an export does not keep rows it has written."""

    alive = 0
    most_alive = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        CountedRow.alive += 1
        CountedRow.most_alive = max(CountedRow.most_alive, CountedRow.alive)

    def __del__(self):
        CountedRow.alive -= 1


def hundred_thousand_rows():
    moment = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for number in range(100_000):
        yield CountedRow(
            company=f"客户 {number}, \"Ltd\"",
            amount=Decimal(number) / 100,
            deals=number,
            score=number * 1.5,
            won_on=date(2026, 1, 1) + timedelta(days=number % 365),
            updated_at=moment + timedelta(minutes=number),
            active=number % 2 == 0,
            share=number / 100_000,
        )


@pytest.fixture
def counted_rows():
    CountedRow.alive = CountedRow.most_alive = 0
    return hundred_thousand_rows()


@pytest.mark.slow
def test_a_100000_row_csv_export_streams_from_a_generator_without_holding_its_rows(counted_rows):
    chunks = 0
    lines = 0
    last = b""
    for chunk in stream_csv(COLUMNS, counted_rows):
        chunks += 1
        lines += chunk.count(b"\r\n")
        last = chunk

    assert lines == 100_001
    assert chunks > 100
    assert last.decode("utf-8").endswith(
        '\r\n"客户 99999, ""Ltd""",999.99,99999,149998.5,2026-12-21,2026-03-11T10:39:00Z,FALSE,0.99999\r\n'
    )
    assert CountedRow.most_alive <= 2


@pytest.mark.slow
def test_a_100000_row_xlsx_export_streams_from_a_generator_without_holding_its_rows(counted_rows):
    data = b"".join(stream_xlsx(COLUMNS, counted_rows))
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    last = None
    count = 0
    for last in sheet.iter_rows(min_row=2, values_only=True):
        count += 1

    assert CountedRow.most_alive <= 2
    assert count == 100_000
    assert last == (
        '客户 99999, "Ltd"', 999.99, 99999, 149998.5,
        datetime(2026, 12, 21), datetime(2026, 3, 11, 10, 39), False, 0.99999,
    )
