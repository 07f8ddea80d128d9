"""The rules of free-text search: what is indexed, how queries are read, and the cursor."""
from datetime import datetime, timezone

import pytest

from crm_shared.errors import APIError
from leads.search import (
    CONTACT_SEPARATOR,
    decode_cursor,
    encode_cursor,
    normalize,
    read_query,
    search_grams,
    search_text,
)


def test_normalising_folds_full_width_and_case_and_drops_control_characters():
    assert normalize("ＡＣＭＥ\u3000Trading\x1f 上海 ") == "acme trading 上海"


def test_the_indexed_text_puts_phone_digits_and_email_behind_the_contact_separator():
    text = search_text("安徽锦佳信息技术有限公司", "王芳", "+86 138-1234-8000", "Li@Example.CN", "回访")
    named, contacts = text.split(CONTACT_SEPARATOR)
    assert "锦佳" in named and "王芳" in named and "回访" in named
    assert "8613812348000" in contacts and "li@example.cn" in contacts
    assert "8000" not in named


def test_the_grams_are_the_character_pairs_with_a_chinese_character():
    grams = search_grams("锦佳 AB", "王芳", None).split(" ")
    assert {"锦佳", "王芳"} <= set(grams)
    assert "ab" not in grams and not any(" " in gram for gram in grams)
    assert search_grams("Acme Ltd", "John", "no chinese") == ""


def test_two_chinese_characters_are_a_query_served_by_the_pair_index():
    query = read_query(" 锦佳 ")
    assert (query.text, query.pair) == ("锦佳", True)


def test_three_characters_or_more_use_the_trigram_index():
    assert read_query("Acme").pair is False


def test_a_phone_like_query_keeps_only_its_digits():
    assert read_query("138-1234 8000").text == "13812348000"
    assert read_query("(0571) 88").text == "057188"


@pytest.mark.parametrize("q", ["a", "ab", "锦", "12"])
def test_queries_that_would_match_too_much_are_refused(q):
    with pytest.raises(APIError) as refused:
        read_query(q)
    assert refused.value.code == "query_too_short"


def test_an_empty_query_means_no_text_filter():
    assert read_query("  ") is None and read_query(None) is None


def test_a_cursor_gives_back_the_key_and_id_it_was_made_from():
    moment = datetime(2026, 11, 28, 10, 0, 0, 123456, tzinfo=timezone.utc)
    assert decode_cursor(encode_cursor("-created_at", moment, "id-1"), "-created_at") == (moment, "id-1")
    assert decode_cursor(encode_cursor("company", "锦佳", "id-2"), "company") == ("锦佳", "id-2")


@pytest.mark.parametrize("cursor", ["", "garbage", encode_cursor("company", "x", "id")])
def test_a_cursor_of_another_sort_or_not_ours_is_refused(cursor):
    with pytest.raises(APIError) as refused:
        decode_cursor(cursor, "-created_at")
    assert refused.value.code == "invalid_cursor"
