"""Report rows drawn as bar, stacked bar, line, pie or funnel charts, as an SVG or PNG image."""
from __future__ import annotations

import io
import threading
import warnings
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping, Sequence

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

CHART_TYPES = ("bar", "stacked_bar", "line", "pie", "funnel")
IMAGE_FORMATS = ("svg", "png")
SVG_MEDIA_TYPE = "image/svg+xml"
PNG_MEDIA_TYPE = "image/png"
# More bars or slices than this cannot be read on a 960 px image; the caller should group or filter first.
MAX_CATEGORIES = 50
MAX_SERIES = 20
WIDTH_PX, HEIGHT_PX, DPI = 960, 540, 96
# Tried in order: the first one installed draws the PNG; an SVG names them all so the viewer's own fonts show Chinese.
CJK_FONTS = ("Noto Sans CJK SC", "WenQuanYi Zen Hei", "Source Han Sans SC")
FALLBACK_FONT = "DejaVu Sans"
NO_DATA_TEXT = "No data"
BLANK_CATEGORY = "(blank)"
_LABEL_MAX_CHARS = 40
_SINGLE_SERIES_TYPES = ("pie", "funnel")
# rcParams and warning filters are process-wide: two threads inside rc_context at once would leave one's
# settings behind for the other, so charts are drawn one at a time (drawing holds the GIL anyway).
_RENDER_LOCK = threading.Lock()


class ChartError(ValueError):
    """A chart that cannot be drawn from this spec and these rows; the message says what to change."""


@dataclass(frozen=True)
class ChartSpec:
    """What to draw: the chart type, its title, which row key gives the categories and which the measures."""

    type: str
    title: str
    category_key: str
    value_keys: Sequence[str]
    labels: Mapping[str, str]
    series_key: str | None = None

    def label_of(self, key: str) -> str:
        return self.labels.get(key, key)


@dataclass(frozen=True)
class _Series:
    label: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class _Table:
    categories: tuple[str, ...]
    series: tuple[_Series, ...]


def render_chart(spec: ChartSpec, rows: Sequence[Mapping], fmt: str) -> bytes:
    """The chart of `rows` as SVG or PNG bytes; the same input always gives the same bytes."""
    _check_spec(spec, fmt)
    table = _table(spec, rows)
    with _RENDER_LOCK, matplotlib.rc_context(_settings()), warnings.catch_warnings():
        # Without a CJK font on the server, every Chinese glyph in a PNG would warn; they are drawn as boxes.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")
        axes = figure.add_subplot()
        axes.set_title(spec.title, fontsize=14)
        if _has_nothing_to_draw(spec, table):
            _draw_no_data(axes)
        else:
            _DRAWERS[spec.type](axes, spec, table)
        image = io.BytesIO()
        figure.savefig(image, format=fmt, dpi=DPI, metadata=_metadata(fmt))
    return image.getvalue()


def _check_spec(spec: ChartSpec, fmt: str) -> None:
    if spec.type not in CHART_TYPES:
        raise ChartError(f"unknown chart type {spec.type!r}; use one of {', '.join(CHART_TYPES)}")
    if fmt not in IMAGE_FORMATS:
        raise ChartError(f"unknown image format {fmt!r}; use one of {', '.join(IMAGE_FORMATS)}")
    if not spec.category_key:
        raise ChartError("the chart needs a category_key: the row key for the x axis, slices or steps")
    if isinstance(spec.value_keys, str) or not spec.value_keys:
        raise ChartError("value_keys must be a list of one or more row keys holding numbers")
    if spec.series_key is not None:
        if spec.type in _SINGLE_SERIES_TYPES:
            raise ChartError(f"a {spec.type} chart shows a single series; leave series_key out")
        if spec.series_key == spec.category_key:
            raise ChartError("series_key must differ from category_key")


def _table(spec: ChartSpec, rows: Sequence[Mapping]) -> _Table:
    for index, row in enumerate(rows):
        for key in _required_keys(spec):
            if key not in row:
                raise ChartError(f"row {index} has no {key!r}; it has {', '.join(map(repr, row)) or 'no keys'}")
    table = _long_table(spec, rows) if spec.series_key else _wide_table(spec, rows)
    if len(table.categories) > MAX_CATEGORIES:
        raise ChartError(
            f"{len(table.categories)} categories is more than a chart can show ({MAX_CATEGORIES} at most); "
            "group or filter the rows first"
        )
    if len(table.series) > MAX_SERIES:
        raise ChartError(f"{len(table.series)} series is more than a chart can show ({MAX_SERIES} at most)")
    return table


def _required_keys(spec: ChartSpec) -> list[str]:
    keys = [spec.category_key]
    if spec.series_key:
        return keys + [spec.series_key, spec.value_keys[0]]
    return keys + list(spec.value_keys[:1] if spec.type in _SINGLE_SERIES_TYPES else spec.value_keys)


def _wide_table(spec: ChartSpec, rows: Sequence[Mapping]) -> _Table:
    """One series per value key, one category per row, in the rows' order."""
    value_keys = spec.value_keys[:1] if spec.type in _SINGLE_SERIES_TYPES else spec.value_keys
    return _Table(
        categories=tuple(_category_label(row[spec.category_key]) for row in rows),
        series=tuple(
            _Series(spec.label_of(key), tuple(_number(row[key], key, index) for index, row in enumerate(rows)))
            for key in value_keys
        ),
    )


def _long_table(spec: ChartSpec, rows: Sequence[Mapping]) -> _Table:
    """One series per distinct series_key value of the first measure; repeated pairs are added up."""
    value_key = spec.value_keys[0]
    totals: dict[tuple[str, str], float] = {}
    categories: dict[str, None] = {}
    series_names: dict[str, None] = {}
    for index, row in enumerate(rows):
        category = _category_label(row[spec.category_key])
        series_name = _category_label(row[spec.series_key])
        categories.setdefault(category)
        series_names.setdefault(series_name)
        totals[category, series_name] = totals.get((category, series_name), 0.0) + _number(
            row[value_key], value_key, index
        )
    return _Table(
        categories=tuple(categories),
        series=tuple(
            _Series(name, tuple(totals.get((category, name), 0.0) for category in categories))
            for name in series_names
        ),
    )


def _number(value: Any, key: str, index: int) -> float:
    if value is None:
        return 0.0
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return float(value)
    raise ChartError(f"{key!r} in row {index} is {value!r}, not a number")


def _category_label(value: Any) -> str:
    if value is None or value == "":
        return BLANK_CATEGORY
    text = str(value)
    return text if len(text) <= _LABEL_MAX_CHARS else text[: _LABEL_MAX_CHARS - 1] + "…"


def _has_nothing_to_draw(spec: ChartSpec, table: _Table) -> bool:
    if not table.categories:
        return True
    return spec.type == "pie" and not any(table.series[0].values)


def _draw_no_data(axes) -> None:
    axes.set_axis_off()
    axes.text(0.5, 0.5, NO_DATA_TEXT, transform=axes.transAxes, ha="center", va="center", fontsize=18, color="#888888")


def _draw_bars(axes, spec: ChartSpec, table: _Table) -> None:
    positions = range(len(table.categories))
    group_width = 0.8
    bar_width = group_width / len(table.series)
    for number, series in enumerate(table.series):
        offsets = [position - group_width / 2 + bar_width * (number + 0.5) for position in positions]
        axes.bar(offsets, series.values, width=bar_width, label=series.label)
    _finish_category_axes(axes, spec, table)


def _draw_stacked_bars(axes, spec: ChartSpec, table: _Table) -> None:
    """Positive values stack upwards from zero and negative ones downwards, as spreadsheets draw them."""
    positions = range(len(table.categories))
    above = [0.0] * len(table.categories)
    below = [0.0] * len(table.categories)
    for series in table.series:
        bottoms = [above[i] if value >= 0 else below[i] for i, value in enumerate(series.values)]
        axes.bar(positions, series.values, width=0.7, bottom=bottoms, label=series.label)
        for i, value in enumerate(series.values):
            if value >= 0:
                above[i] += value
            else:
                below[i] += value
    _finish_category_axes(axes, spec, table)


def _draw_lines(axes, spec: ChartSpec, table: _Table) -> None:
    positions = range(len(table.categories))
    for series in table.series:
        axes.plot(positions, series.values, marker="o", label=series.label)
    _finish_category_axes(axes, spec, table)


def _finish_category_axes(axes, spec: ChartSpec, table: _Table) -> None:
    crowded = len(table.categories) > 8 or any(len(category) > 12 for category in table.categories)
    rotation = {"rotation": 45, "ha": "right", "rotation_mode": "anchor"} if crowded else {}
    font_size = 8 if len(table.categories) > 20 else 10
    axes.set_xticks(range(len(table.categories)), table.categories, fontsize=font_size, **rotation)
    axes.set_xlabel(spec.label_of(spec.category_key))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _position: _format_value(value)))
    axes.axhline(0, color="#444444", linewidth=0.8)
    axes.grid(axis="y", alpha=0.3)
    axes.set_axisbelow(True)
    if spec.series_key:
        axes.set_ylabel(spec.label_of(spec.value_keys[0]))
        axes.legend(title=spec.label_of(spec.series_key))
    elif len(table.series) == 1:
        axes.set_ylabel(table.series[0].label)
    else:
        axes.legend()


def _draw_pie(axes, spec: ChartSpec, table: _Table) -> None:
    """Slices clockwise from twelve o'clock in the rows' order; empty slices are left out (they have no area)."""
    values = table.series[0].values
    if any(value < 0 for value in values):
        raise ChartError(f"a pie chart cannot show negative values of {table.series[0].label!r}")
    slices = [(category, value) for category, value in zip(table.categories, values) if value > 0]
    axes.pie(
        [value for _category, value in slices],
        labels=[category for category, _value in slices],
        autopct="%1.1f%%",
        startangle=90,
        counterclock=False,
        wedgeprops={"linewidth": 1, "edgecolor": "white"},
    )
    axes.set_aspect("equal")


def _draw_funnel(axes, spec: ChartSpec, table: _Table) -> None:
    """Centred horizontal bars, widest on top, each labelled with its value and its share of the top step."""
    series = table.series[0]
    if any(value < 0 for value in series.values):
        raise ChartError(f"a funnel chart cannot show negative values of {series.label!r}")
    steps = sorted(zip(table.categories, series.values), key=lambda step: step[1], reverse=True)
    widest = steps[0][1]
    positions = range(len(steps))
    axes.barh(
        positions,
        [value for _category, value in steps],
        left=[-value / 2 for _category, value in steps],
        height=0.8,
        color="#4C72B0",
    )
    for position, (_category, value) in zip(positions, steps):
        share = f" ({value / widest:.0%})" if widest else ""
        axes.text(0, position, _format_value(value) + share, ha="center", va="center", color="black",
                  bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.8})
    axes.set_yticks(positions, [category for category, _value in steps])
    axes.tick_params(axis="y", length=0)
    axes.invert_yaxis()
    axes.xaxis.set_visible(False)
    for side in ("top", "right", "bottom", "left"):
        axes.spines[side].set_visible(False)
    axes.set_xlim(-widest / 2 * 1.05 or -1, widest / 2 * 1.05 or 1)


_DRAWERS = {
    "bar": _draw_bars,
    "stacked_bar": _draw_stacked_bars,
    "line": _draw_lines,
    "pie": _draw_pie,
    "funnel": _draw_funnel,
}


def _format_value(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _settings() -> dict[str, Any]:
    return {
        # Text stays text in an SVG: selectable, and drawn with the viewer's fonts (which have the Chinese glyphs).
        "svg.fonttype": "none",
        # SVG element ids are hashes; a fixed salt makes the same chart the same bytes.
        "svg.hashsalt": "crm-reporting-chart",
        "font.family": ["sans-serif"],
        "font.sans-serif": [*CJK_FONTS, FALLBACK_FONT],
    }


def _metadata(fmt: str) -> dict[str, Any]:
    # No creation date in an SVG, and no version string in either: the bytes depend on the chart only.
    return {"Date": None, "Creator": None} if fmt == "svg" else {"Software": None}
