"""The report builder's use cases: preview, save, share, run, export and draw reports; put them on boards.

Every run uses the scope of the person it runs for (scopes.py), never the author's: a report shared by a
manager shows a rep the rep's own records.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Callable, Iterator, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from crm_shared.auth import Identity
from crm_shared.envelope import utc_now
from reporting import charts, exports
from reporting.report_query import Column, CompiledReport, InvalidReport, compile_report, json_value, rows_of, stream_rows
from reporting.report_store import NotFound, board_store, display_names, may_change, reports
from reporting.scopes import Scope, scope_of
from reporting.uow import ReportingUnitOfWork

UowFactory = Callable[[], ReportingUnitOfWork]
PREVIEW_LIMIT = 200
CHART_ROWS = 50


@dataclass(frozen=True)
class Download:
    filename: str
    media_type: str
    chunks: Iterator[bytes]


# --- results -------------------------------------------------------------------------------------------

def check_layout(layout: Mapping[str, Any], columns: list[Column]) -> None:
    """Every key the layout names is a column of the report, in the role the layout needs."""
    dimensions = {c.key for c in columns if c.role == "dimension"}
    measures = {c.key for c in columns if c.role == "measure"}
    for index, item in enumerate(layout.get("columns") or []):
        if item["key"] not in dimensions | measures:
            raise InvalidReport(f"layout.columns[{index}].key", f"no column {item['key']!r} in the report")
    kind = layout.get("type", "table")
    if kind == "pivot":
        pivot = layout.get("pivot")
        if not pivot:
            raise InvalidReport("layout.pivot", "a pivot needs rows, columns and a measure")
        for part in ("rows", "columns"):
            if pivot[part] not in dimensions:
                raise InvalidReport(f"layout.pivot.{part}", f"pick one of the report's fields: {', '.join(sorted(dimensions)) or 'none'}")
        if pivot["rows"] == pivot["columns"]:
            raise InvalidReport("layout.pivot.columns", "pick a different field for the columns than for the rows")
        if pivot["measure"] not in measures:
            raise InvalidReport("layout.pivot.measure", f"pick one of the report's measures: {', '.join(sorted(measures)) or 'none'}")
        if len(dimensions) != 2:
            raise InvalidReport("dimensions", "a pivot shows exactly two fields: one down, one across")
    if kind == "chart":
        chart = layout.get("chart")
        if not chart:
            raise InvalidReport("layout.chart", "a chart needs its type, category and values")
        if chart["category"] not in dimensions:
            raise InvalidReport("layout.chart.category", f"pick one of the report's fields: {', '.join(sorted(dimensions)) or 'none'}")
        for index, key in enumerate(chart["values"]):
            if key not in measures:
                raise InvalidReport(f"layout.chart.values[{index}]", f"pick one of the report's measures: {', '.join(sorted(measures)) or 'none'}")
        if chart.get("series") and chart["series"] not in dimensions - {chart["category"]}:
            raise InvalidReport("layout.chart.series", "pick another of the report's fields to split the series by")


def _ordered_columns(columns: list[Column], layout: Mapping[str, Any]) -> list[dict]:
    """The result's columns in the user's order with their labels and formats (unlisted ones after)."""
    by_key = {c.key: c for c in columns}
    chosen = []
    for item in layout.get("columns") or []:
        column = by_key[item["key"]]
        chosen.append({"key": column.key, "label": item.get("label") or column.label, "kind": column.kind, "role": column.role, "format": item.get("format")})
    listed = {c["key"] for c in chosen}
    chosen += [
        {"key": c.key, "label": c.label, "kind": c.kind, "role": c.role, "format": None} for c in columns if c.key not in listed
    ]
    return chosen


def compute(
    session: Session,
    definition: Mapping[str, Any],
    layout: Mapping[str, Any],
    scope: Scope,
    zone: ZoneInfo,
    parameters: Mapping[str, Any] | None = None,
    *,
    limit: int | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """A report's result for `scope`: columns, rows (JSON-ready), and its pivot or chart as laid out."""
    report = compile_report(definition, scope, zone=zone, parameters=parameters, today=today, limit=limit)
    check_layout(layout, report.columns)
    rows, truncated = rows_of(session, report, limit=report.limit)
    columns = _ordered_columns(report.columns, layout)
    kinds = {c.key: c.kind for c in report.columns}
    result: dict[str, Any] = {
        "columns": columns,
        "rows": [{key: json_value(value, kinds[key]) for key, value in row.items()} for row in rows],
        "truncated": truncated,
        "layout": dict(layout),
        "pivot": None,
        "chart": None,
        "scope": scope.level,
        "generated_at": utc_now(),
    }
    if layout.get("type") == "pivot":
        result["pivot"] = _pivot(session, report, layout["pivot"], rows, kinds)
    if layout.get("type") == "chart":
        chart = layout["chart"]
        labels = {c["key"]: c["label"] for c in columns}
        result["chart"] = {**chart, "labels": labels}
    return result


def _pivot(session: Session, report: CompiledReport, pivot: Mapping[str, str], rows: list[dict], kinds) -> dict:
    """Rows down, columns across, one measure in the cells, with totals computed by the database.

    Totals are grouped again rather than added up here: a distinct count or an average of a whole row is
    not the sum of its cells.
    """
    down, across, measure = pivot["rows"], pivot["columns"], pivot["measure"]
    kind = kinds[measure]

    def grouped(keep: list[str]) -> list[dict]:
        statement = report.compile_grouped(keep)
        return [dict(row) for row in session.execute(statement).mappings()]

    column_values = sorted({row[across] for row in rows}, key=lambda v: (v is None, str(v)))
    row_values = sorted({row[down] for row in rows}, key=lambda v: (v is None, str(v)))
    cells = {(row[down], row[across]): row[measure] for row in rows}
    row_totals = {row[down]: row[measure] for row in grouped([down])}
    column_totals = {row[across]: row[measure] for row in grouped([across])}
    grand = grouped([])
    return {
        "rows_key": down,
        "columns_key": across,
        "measure": measure,
        "columns": [json_value(v, kinds[across]) for v in column_values],
        "rows": [
            {
                "value": json_value(value, kinds[down]),
                "cells": [json_value(cells.get((value, column)), kind) for column in column_values],
                "total": json_value(row_totals.get(value), kind),
            }
            for value in row_values
        ],
        "column_totals": [json_value(column_totals.get(column), kind) for column in column_values],
        "grand_total": json_value(grand[0][measure] if grand else None, kind),
    }


# --- previews and saved reports ---------------------------------------------------------------------------

def preview(uow_factory: UowFactory, identity: Identity, request: Mapping[str, Any], zone: ZoneInfo) -> dict:
    with uow_factory() as uow:
        return compute(
            uow.session, request["definition"], request["layout"], scope_of(identity), zone, request["parameters"], limit=PREVIEW_LIMIT
        )


def _check_definition(definition: Mapping[str, Any], layout: Mapping[str, Any], identity: Identity, zone: ZoneInfo) -> None:
    report = compile_report(definition, scope_of(identity), zone=zone)
    check_layout(layout, report.columns)


def _report_view(row, identity: Identity, names: Mapping[str, str]) -> dict:
    view = dict(row._mapping)
    view["owner_name"] = names.get(row.owner_id)
    view["editable"] = may_change(row, identity)
    return view


def list_reports(uow_factory: UowFactory, identity: Identity) -> list[dict]:
    with uow_factory() as uow:
        rows = reports(uow.session).readable(identity)
        names = display_names(uow.session, {row.owner_id for row in rows})
        return [_report_view(row, identity, names) for row in rows]


def get_report(uow_factory: UowFactory, identity: Identity, report_id: str) -> dict:
    with uow_factory() as uow:
        row = reports(uow.session).get(report_id, identity)
        return _report_view(row, identity, display_names(uow.session, {row.owner_id}))


def save_report(uow_factory: UowFactory, identity: Identity, values: dict, zone: ZoneInfo) -> dict:
    _check_definition(values["definition"], values["layout"], identity, zone)
    with uow_factory() as uow:
        report_id = reports(uow.session).add(identity, values)
        uow.commit()
    return get_report(uow_factory, identity, report_id)


def change_report(uow_factory: UowFactory, identity: Identity, report_id: str, version: int, values: dict, zone: ZoneInfo) -> dict:
    _check_definition(values["definition"], values["layout"], identity, zone)
    with uow_factory() as uow:
        reports(uow.session).change(report_id, identity, version, values)
        uow.commit()
    return get_report(uow_factory, identity, report_id)


def delete_report(uow_factory: UowFactory, identity: Identity, report_id: str, version: int) -> None:
    with uow_factory() as uow:
        reports(uow.session).remove(report_id, identity, version)
        uow.commit()


def run_report(uow_factory: UowFactory, identity: Identity, report_id: str, parameters: Mapping[str, Any], zone: ZoneInfo) -> dict:
    with uow_factory() as uow:
        row = reports(uow.session).get(report_id, identity)
        result = compute(uow.session, row.definition, row.layout, scope_of(identity), zone, parameters)
        return {**result, "report_id": row.report_id, "name": row.name}


def filename_for(name: str, extension: str) -> str:
    """A file name from a report's name: letters (any script), digits, - and _ kept, the rest as _."""
    stem = re.sub(r"[^\w\-]+", "_", name, flags=re.UNICODE).strip("_")[:80] or "report"
    return f"{stem}.{extension}"


def export_columns(report: CompiledReport, layout: Mapping[str, Any]) -> list[exports.ExportColumn]:
    return [
        exports.ExportColumn(c["key"], c["label"], c["kind"], c.get("format"))
        for c in _ordered_columns(report.columns, layout)
    ]


def export_rows(session: Session, report: CompiledReport, columns: list[exports.ExportColumn]) -> Iterator[dict]:
    for row in stream_rows(session, report):
        yield {column.key: row.get(column.key) for column in columns}


def export_report(
    uow_factory: UowFactory, identity: Identity, report_id: str, parameters: Mapping[str, Any], fmt: str, zone: ZoneInfo
) -> Download:
    """The whole report (no row limit) as CSV or XLSX, streamed from a cursor as it is written."""
    with uow_factory() as uow:
        row = reports(uow.session).get(report_id, identity)
        name, definition, layout = row.name, row.definition, row.layout
    report = compile_report(definition, scope_of(identity), zone=zone, parameters=parameters)
    check_layout(layout, report.columns)
    columns = export_columns(report, layout)

    def chunks() -> Iterator[bytes]:
        with uow_factory() as uow:
            rows = export_rows(uow.session, report, columns)
            if fmt == "xlsx":
                yield from exports.stream_xlsx(columns, rows, sheet_title=name)
            else:
                yield from exports.stream_csv(columns, rows)

    media = exports.XLSX_MEDIA_TYPE if fmt == "xlsx" else exports.CSV_MEDIA_TYPE
    return Download(filename_for(name, fmt), media, chunks())


def chart_spec(name: str, result: Mapping[str, Any]) -> charts.ChartSpec:
    chart = result["chart"]
    if chart is None:
        raise InvalidReport("layout.type", "this report is not laid out as a chart; choose a chart layout first")
    return charts.ChartSpec(
        type=chart["type"],
        title=name,
        category_key=chart["category"],
        value_keys=list(chart["values"]),
        labels=chart["labels"],
        series_key=chart.get("series"),
    )


def draw(name: str, result: Mapping[str, Any], fmt: str) -> bytes:
    """The chart of a computed report as an SVG or PNG image."""
    money = [c["key"] for c in result["columns"] if c["kind"] == "money"]
    rows = [{**row, **{key: Decimal(row[key]) for key in money if row.get(key) is not None}} for row in result["rows"]]
    try:
        return charts.render_chart(chart_spec(name, result), rows, fmt)
    except charts.ChartError as error:
        raise InvalidReport("layout.chart", str(error)) from error


def chart_image(uow_factory: UowFactory, identity: Identity, report_id: str, parameters, fmt: str, zone: ZoneInfo) -> Download:
    result = run_report(uow_factory, identity, report_id, parameters, zone)
    media = charts.SVG_MEDIA_TYPE if fmt == "svg" else charts.PNG_MEDIA_TYPE
    return Download(filename_for(result["name"], fmt), media, iter([draw(result["name"], result, fmt)]))


# --- boards ---------------------------------------------------------------------------------------------

def _board_view(session: Session, row, identity: Identity) -> dict:
    view = dict(row._mapping)
    store = reports(session)
    tiles = []
    for tile in row.tiles or []:
        try:
            report = store.get(tile["report_id"], identity)
        except NotFound:  # deleted since, or no longer shared with this viewer: the tile says so
            tiles.append({**tile, "name": None, "available": False})
            continue
        tiles.append({**tile, "name": report.name, "available": True})
    view["tiles"] = tiles
    view["editable"] = may_change(row, identity)
    return view


def _check_tiles(session: Session, identity: Identity, tiles: list[dict]) -> None:
    store = reports(session)
    for index, tile in enumerate(tiles):
        try:
            store.get(tile["report_id"], identity)
        except NotFound as error:
            raise InvalidReport(f"tiles[{index}].report_id", "no saved report with that id that you may see") from error


def list_boards(uow_factory: UowFactory, identity: Identity) -> list[dict]:
    with uow_factory() as uow:
        return [{**dict(row._mapping), "editable": may_change(row, identity)} for row in board_store(uow.session).readable(identity)]


def get_board(uow_factory: UowFactory, identity: Identity, board_id: str) -> dict:
    with uow_factory() as uow:
        return _board_view(uow.session, board_store(uow.session).get(board_id, identity), identity)


def save_board(uow_factory: UowFactory, identity: Identity, values: dict) -> dict:
    with uow_factory() as uow:
        _check_tiles(uow.session, identity, values["tiles"])
        board_id = board_store(uow.session).add(identity, values)
        uow.commit()
    return get_board(uow_factory, identity, board_id)


def change_board(uow_factory: UowFactory, identity: Identity, board_id: str, version: int, values: dict) -> dict:
    with uow_factory() as uow:
        _check_tiles(uow.session, identity, values["tiles"])
        board_store(uow.session).change(board_id, identity, version, values)
        uow.commit()
    return get_board(uow_factory, identity, board_id)


def delete_board(uow_factory: UowFactory, identity: Identity, board_id: str, version: int) -> None:
    with uow_factory() as uow:
        board_store(uow.session).remove(board_id, identity, version)
        uow.commit()
