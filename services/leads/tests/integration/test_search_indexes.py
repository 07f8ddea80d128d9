"""On PostgreSQL the search's own queries use the trigram and pair indexes."""
import pytest
from sqlalchemy import select, text

from leads.db import leads
from leads.repository import LeadQuery
from leads.search import read_query
from leads.search_repository import SearchFilters

# Index use is checked on PostgreSQL.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("postgresql_only")]


def explained(uow, statement, planner_off=("enable_seqscan",)) -> str:
    """PostgreSQL's plan of `statement` with the given planner methods off (so an index is chosen if one can be)."""
    compiled = statement.compile(dialect=uow.session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    for setting in planner_off:
        uow.session.execute(text(f"SET LOCAL {setting} = off"))
    rows = uow.session.connection().exec_driver_sql("EXPLAIN " + compiled.string, compiled.params).all()
    return "\n".join(row[0] for row in rows)


def plan_of(uow, q: str) -> str:
    conditions = uow.search.matching(LeadQuery(), SearchFilters(text=read_query(q))).where()
    return explained(uow, select(leads.c.id).where(*conditions))


def test_two_chinese_characters_use_the_pair_index_and_longer_text_the_trigram_index(client, manager, uow_factory):
    client.post("/api/v1/leads", json={"company": "安徽锦佳信息技术有限公司", "contact_name": "王芳", "channel": "web"},
                headers=manager)
    with uow_factory() as uow:
        assert "ix_leads_search_grams" in plan_of(uow, "锦佳")
    with uow_factory() as uow:
        assert "ix_leads_search_trgm" in plan_of(uow, "锦佳信息")



def test_status_region_and_industry_read_the_newest_matches_straight_from_their_index(uow_factory):
    statement = (select(leads.c.id)
                 .where(leads.c.region == "华东", leads.c.industry == "software", leads.c.status == "pool")
                 .order_by(leads.c.created_at.desc(), leads.c.id.desc()).limit(51))
    with uow_factory() as uow:
        plan = explained(uow, statement, planner_off=("enable_seqscan", "enable_bitmapscan", "enable_sort"))
    assert "ix_leads_region_industry_status" in plan
    assert "Sort" not in plan
