"""On PostgreSQL, knowledge-base search reads its text indexes: trigrams for words, the pair list for Chinese."""
import json

import pytest
from sqlalchemy import select, text

from service_desk.db_kb import kb_articles
from service_desk.kb_search import terms_of

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("postgresql_only")]


def plan_of(uow, terms) -> str:
    statement = select(kb_articles.c.id).where(uow.kb_search.matches(terms))
    compiled = statement.compile(dialect=uow.session.get_bind().dialect, compile_kwargs={"literal_binds": True})
    # With a handful of rows a scan is cheaper; forbidding it shows whether the index can serve the query at all.
    uow.session.execute(text("SET LOCAL enable_seqscan = off"))
    return json.dumps(uow.session.execute(text(f"EXPLAIN (FORMAT JSON) {compiled}")).scalar_one())


def test_a_chinese_pair_and_an_english_word_are_served_by_their_indexes(uow_factory):
    with uow_factory() as uow:
        assert "ix_kb_articles_search_grams" in plan_of(uow, terms_of("打印"))
    with uow_factory() as uow:
        assert "ix_kb_articles_search_trgm" in plan_of(uow, terms_of("printer"))
