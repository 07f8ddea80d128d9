"""Chart images: every chart type as SVG and PNG, series, bad specs refused, the same input giving the same bytes."""
import io
import logging
import threading
import warnings
import xml.etree.ElementTree as ElementTree
from decimal import Decimal

import matplotlib
import pytest
from PIL import Image

from reporting.charts import (
    CHART_TYPES,
    MAX_CATEGORIES,
    MAX_SERIES,
    NO_DATA_TEXT,
    PNG_MEDIA_TYPE,
    SVG_MEDIA_TYPE,
    ChartError,
    ChartSpec,
    render_chart,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG_TAG = "{http://www.w3.org/2000/svg}"
ROWS = [
    {"channel": "官网", "leads": 40, "won": Decimal("12.5")},
    {"channel": "Referral", "leads": 25, "won": 10},
    {"channel": "Trade fair", "leads": 10, "won": None},
]
LABELS = {"channel": "渠道", "leads": "Leads", "won": "Won"}


def spec(chart_type: str = "bar", **changes) -> ChartSpec:
    fields = {
        "type": chart_type,
        "title": "线索 by channel",
        "category_key": "channel",
        "value_keys": ["leads"],
        "labels": LABELS,
    }
    return ChartSpec(**{**fields, **changes})


def svg_texts(svg: bytes) -> list[str]:
    root = ElementTree.fromstring(svg)
    assert root.tag == f"{SVG_TAG}svg"
    return ["".join(element.itertext()) for element in root.iter(f"{SVG_TAG}text")]


def svg_text_ys(svg: bytes) -> dict[str, float]:
    root = ElementTree.fromstring(svg)
    return {"".join(element.itertext()): float(element.get("y")) for element in root.iter(f"{SVG_TAG}text")}


def test_the_media_types_are_the_registered_ones():
    assert (SVG_MEDIA_TYPE, PNG_MEDIA_TYPE) == ("image/svg+xml", "image/png")


@pytest.mark.parametrize("chart_type", CHART_TYPES)
def test_each_chart_type_renders_an_svg_with_its_title_and_categories_as_text(chart_type):
    texts = svg_texts(render_chart(spec(chart_type), ROWS, "svg"))

    assert "线索 by channel" in texts
    assert {"官网", "Referral", "Trade fair"} <= set(texts)


@pytest.mark.parametrize("chart_type", CHART_TYPES)
def test_each_chart_type_renders_a_960_by_540_png(chart_type):
    png = render_chart(spec(chart_type), ROWS, "png")

    assert png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (960, 540)


def test_svg_text_names_the_cjk_fonts_so_the_viewer_can_draw_chinese():
    svg = render_chart(spec(), ROWS, "svg").decode("utf-8")

    assert "'Noto Sans CJK SC', 'WenQuanYi Zen Hei', 'Source Han Sans SC', 'DejaVu Sans', sans-serif" in svg


def test_chinese_text_draws_without_warnings_about_missing_fonts_or_glyphs(caplog):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with caplog.at_level(logging.WARNING, logger="matplotlib"):
            for fmt in ("png", "svg"):
                render_chart(spec(title="销售漏斗"), ROWS, fmt)

    assert caplog.records == []


def test_an_axis_takes_its_title_from_the_labels_and_falls_back_to_the_key():
    assert {"渠道", "Leads"} <= set(svg_texts(render_chart(spec(), ROWS, "svg")))
    assert {"channel", "leads"} <= set(svg_texts(render_chart(spec(labels={}), ROWS, "svg")))


def test_several_measures_become_series_named_in_the_legend():
    texts = svg_texts(render_chart(spec("line", value_keys=["leads", "won"]), ROWS, "svg"))

    assert {"Leads", "Won"} <= set(texts)


def test_a_series_key_splits_long_rows_into_one_series_per_value():
    rows = [
        {"month": "2026-10", "owner": "张三", "amount": 5},
        {"month": "2026-10", "owner": "Li Na", "amount": 3},
        {"month": "2026-11", "owner": "张三", "amount": 7},
    ]
    chart = spec(
        "stacked_bar", category_key="month", value_keys=["amount"], series_key="owner",
        labels={"owner": "负责人", "amount": "Amount"},
    )

    texts = svg_texts(render_chart(chart, rows, "svg"))

    assert {"负责人", "张三", "Li Na", "2026-10", "2026-11", "Amount"} <= set(texts)
    assert texts.count("2026-10") == 1


def test_none_is_drawn_as_zero_and_a_decimal_as_its_float():
    with_none = [{"channel": "A", "leads": None}, {"channel": "B", "leads": Decimal("2.5")}]
    with_numbers = [{"channel": "A", "leads": 0}, {"channel": "B", "leads": 2.5}]

    assert render_chart(spec(), with_none, "svg") == render_chart(spec(), with_numbers, "svg")


def test_stacked_bars_add_the_series_up_where_grouped_bars_stand_side_by_side():
    rows = [{"channel": "A", "leads": 10, "won": 10}]
    stacked = svg_texts(render_chart(spec("stacked_bar", value_keys=["leads", "won"]), rows, "svg"))
    grouped = svg_texts(render_chart(spec("bar", value_keys=["leads", "won"]), rows, "svg"))

    assert "20" in stacked
    assert "20" not in grouped


def test_a_funnel_puts_the_widest_step_on_top_and_labels_each_with_its_value_and_share():
    rows = [{"channel": "Won", "leads": 10}, {"channel": "Leads", "leads": 40}, {"channel": "Qualified", "leads": 25}]
    svg = render_chart(spec("funnel"), rows, "svg")
    heights = svg_text_ys(svg)

    assert heights["Leads"] < heights["Qualified"] < heights["Won"]
    assert {"40 (100%)", "25 (62%)", "10 (25%)"} <= set(svg_texts(svg))


def test_a_pie_shows_each_slice_as_a_percentage():
    rows = [{"channel": "官网", "leads": 1}, {"channel": "Referral", "leads": 3}]

    assert {"25.0%", "75.0%"} <= set(svg_texts(render_chart(spec("pie"), rows, "svg")))


@pytest.mark.parametrize("chart_type", CHART_TYPES)
def test_no_rows_give_an_image_that_says_there_is_no_data(chart_type):
    texts = svg_texts(render_chart(spec(chart_type), [], "svg"))

    assert NO_DATA_TEXT in texts and "线索 by channel" in texts
    with Image.open(io.BytesIO(render_chart(spec(chart_type), [], "png"))) as image:
        assert image.size == (960, 540)


def test_a_pie_of_nothing_but_zeros_says_there_is_no_data():
    rows = [{"channel": "A", "leads": 0}, {"channel": "B", "leads": None}]

    assert NO_DATA_TEXT in svg_texts(render_chart(spec("pie"), rows, "svg"))


def test_a_chart_with_data_does_not_say_there_is_no_data():
    assert NO_DATA_TEXT not in svg_texts(render_chart(spec(), ROWS, "svg"))


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_the_same_chart_gives_the_same_bytes_twice(fmt):
    chart = spec("bar", value_keys=["leads", "won"])

    assert render_chart(chart, ROWS, fmt) == render_chart(chart, ROWS, fmt)


def test_different_data_gives_a_different_image():
    assert render_chart(spec(), ROWS, "svg") != render_chart(spec(), ROWS[:2], "svg")


def test_drawing_leaves_the_process_wide_matplotlib_settings_as_they_were():
    before = {key: matplotlib.rcParams[key] for key in ("svg.fonttype", "svg.hashsalt", "font.sans-serif")}

    render_chart(spec(), ROWS, "svg")

    assert {key: matplotlib.rcParams[key] for key in before} == before


def test_charts_drawn_on_several_threads_at_once_match_the_ones_drawn_alone():
    charts = [spec(chart_type) for chart_type in CHART_TYPES]
    alone = [render_chart(chart, ROWS, "svg") for chart in charts]
    together: dict[int, bytes] = {}

    def draw(index: int) -> None:
        together[index] = render_chart(charts[index], ROWS, "svg")

    threads = [threading.Thread(target=draw, args=(index,)) for index in range(len(charts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [together.get(index) for index in range(len(charts))] == alone


@pytest.mark.parametrize(
    "chart, rows, message",
    [
        (spec("donut"), ROWS, "unknown chart type 'donut'"),
        (spec(category_key=""), ROWS, "needs a category_key"),
        (spec(value_keys=[]), ROWS, "one or more row keys"),
        (spec(value_keys="leads"), ROWS, "one or more row keys"),
        (spec(category_key="region"), ROWS, "row 0 has no 'region'"),
        (spec(value_keys=["leads", "lost"]), ROWS, "row 0 has no 'lost'"),
        (spec(), [{"channel": "A", "leads": "many"}], "'leads' in row 0 is 'many', not a number"),
        (spec("pie", series_key="owner"), ROWS, "a pie chart shows a single series"),
        (spec("funnel", series_key="owner"), ROWS, "a funnel chart shows a single series"),
        (spec(series_key="channel"), ROWS, "series_key must differ"),
        (spec("pie"), [{"channel": "A", "leads": -1}], "cannot show negative values"),
        (spec("funnel"), [{"channel": "A", "leads": -1}], "cannot show negative values"),
    ],
)
def test_a_spec_that_cannot_be_drawn_is_refused_with_a_reason(chart, rows, message):
    with pytest.raises(ChartError, match=message):
        render_chart(chart, rows, "svg")


def test_an_unknown_image_format_is_refused():
    with pytest.raises(ChartError, match="unknown image format 'jpeg'"):
        render_chart(spec(), ROWS, "jpeg")


def test_more_categories_than_a_chart_can_show_are_refused_but_the_limit_itself_is_drawn():
    rows = [{"channel": f"C{number}", "leads": number} for number in range(MAX_CATEGORIES + 1)]

    with pytest.raises(ChartError, match=rf"{MAX_CATEGORIES + 1} categories .*\({MAX_CATEGORIES} at most\)"):
        render_chart(spec(), rows, "svg")
    assert "C49" in svg_texts(render_chart(spec(), rows[:MAX_CATEGORIES], "svg"))


def test_more_series_than_a_legend_can_hold_are_refused():
    rows = [{"channel": "A", "owner": f"rep {number}", "leads": 1} for number in range(MAX_SERIES + 1)]

    with pytest.raises(ChartError, match=rf"{MAX_SERIES + 1} series .*\({MAX_SERIES} at most\)"):
        render_chart(spec(series_key="owner"), rows, "svg")
    assert "rep 19" in svg_texts(render_chart(spec(series_key="owner"), rows[:MAX_SERIES], "svg"))


def test_a_chart_error_is_a_value_error():
    assert issubclass(ChartError, ValueError)
