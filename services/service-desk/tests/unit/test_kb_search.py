"""How knowledge-base text is indexed, how a query becomes terms, and how matches are ranked."""
from datetime import datetime, timedelta, timezone

from service_desk.kb_search import Candidate, excerpt, indexed, ranked, terms_of

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def test_chinese_is_split_into_character_pairs_and_a_single_character_is_not_a_term():
    assert terms_of("打印机 坏了").pairs == ("打印", "印机", "坏了")
    assert not terms_of("打")


def test_english_words_are_case_folded_full_width_letters_normalised_and_short_or_common_words_dropped():
    terms = terms_of("The ＩＮＶＯＩＣＥ export is on a PDF")
    assert terms.words == ("invoice", "export", "pdf")
    assert not terms_of("is on at")


def test_a_mixed_query_keeps_both_its_chinese_pairs_and_its_english_words():
    terms = terms_of("VPN 连接失败")
    assert terms.words == ("vpn",) and terms.pairs == ("连接", "接失", "失败")


def test_a_long_english_text_leaves_room_for_its_chinese_pairs():
    text = " ".join(f"word{n:03d}" for n in range(100)) + " 发票"
    assert "发票" in terms_of(text).pairs


def test_the_indexed_text_puts_title_and_tags_first_and_lists_the_chinese_pairs_of_everything():
    index = indexed("打印机", "Check the 网线.", ["Hardware"])
    assert index.title == "打印机\x1ehardware"
    assert index.text.startswith(index.title) and "check the 网线." in index.text
    assert index.grams.split() == ["印机", "打印", "网线"]


def candidate(article_id, relevance=1.0, helped=0, not_helped=0, age=timedelta(days=1)):
    return Candidate(article_id, relevance, helped, not_helped, NOW - age)


def test_more_relevant_articles_rank_first():
    order = ranked([candidate("weak", 0.3), candidate("strong", 0.9)], NOW)
    assert [c.article_id for c, _ in order] == ["strong", "weak"]


def test_helped_votes_lift_an_equally_relevant_article_and_not_helped_votes_sink_it():
    older_helped = candidate("helped", helped=2, age=timedelta(days=30))
    newer = candidate("plain", age=timedelta(days=1))
    assert [c.article_id for c, _ in ranked([newer, older_helped], NOW)] == ["helped", "plain"]
    sunk = candidate("unhelpful", not_helped=1, age=timedelta(hours=1))
    assert [c.article_id for c, _ in ranked([sunk, newer], NOW)] == ["plain", "unhelpful"]


def test_votes_do_not_outweigh_a_much_better_text_match():
    order = ranked([candidate("voted", 0.3, helped=50), candidate("matching", 0.9)], NOW)
    assert [c.article_id for c, _ in order] == ["matching", "voted"]


def test_recency_breaks_a_tie_of_relevance_and_votes():
    order = ranked([candidate("old", age=timedelta(days=400)), candidate("new", age=timedelta(days=2))], NOW)
    assert [c.article_id for c, _ in order] == ["new", "old"]


def test_an_excerpt_shows_the_text_around_the_first_match():
    body = "Intro. " * 40 + "Restart the print spooler service."
    shown = excerpt(body, terms_of("spooler"))
    assert "spooler" in shown and shown.startswith("…")
    assert excerpt("Short body.", terms_of("absent")) == "Short body."
