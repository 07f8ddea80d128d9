"""On PostgreSQL a search's time budgets and planner settings cost one round trip before a statement and one after."""
import pytest
from sqlalchemy import event, text

from leads import search_repository

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("postgresql_only")]


@pytest.fixture
def sent(app):
    """The statements the service's engine sends, from now on."""
    statements = []
    engine = app.extensions["crm.engine"]

    def catch(_connection, _cursor, statement, _parameters, _context, _executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", catch)
    yield statements
    event.remove(engine, "before_cursor_execute", catch)


def test_a_statement_within_its_budget_costs_one_round_trip_before_it_and_one_after(uow_factory, sent):
    with uow_factory() as uow:
        assert uow.search._within_budget(lambda: uow.session.execute(text("SELECT 41 + 1")).scalar_one(), 50) == 42
        assert uow.session.execute(text("SHOW statement_timeout")).scalar_one() == "0"
        assert uow.session.execute(text("SHOW plan_cache_mode")).scalar_one() == "force_custom_plan"
    assert sent[:3] == [
        "SET LOCAL plan_cache_mode = force_custom_plan; SAVEPOINT search_budget; SET LOCAL statement_timeout = 50",
        "SELECT 41 + 1",
        "SET LOCAL statement_timeout TO DEFAULT; RELEASE SAVEPOINT search_budget",
    ]


def test_a_statement_over_its_budget_is_cancelled_and_the_search_goes_on(uow_factory):
    with uow_factory() as uow:
        slow = uow.search._within_budget(lambda: uow.session.execute(text("SELECT pg_sleep(1)")).all(), 20)
        assert slow is None
        # The savepoint's rollback undid the budget, not the custom plans set before it; the transaction lives on.
        assert uow.session.execute(text("SHOW statement_timeout")).scalar_one() == "0"
        assert uow.session.execute(text("SHOW plan_cache_mode")).scalar_one() == "force_custom_plan"
        assert uow.search._with(["enable_sort"], lambda: uow.session.execute(text("SHOW enable_sort")).scalar_one()) == "off"
        assert uow.session.execute(text("SHOW enable_sort")).scalar_one() == "on"


def test_another_error_is_raised_after_the_rollback_to_the_savepoint(uow_factory):
    with uow_factory() as uow:
        with pytest.raises(Exception, match="division by zero"):
            uow.search._within_budget(lambda: uow.session.execute(text("SELECT 1 / 0")).all(), 50)
        assert uow.session.execute(text("SELECT 1")).scalar_one() == 1
        assert uow.session.execute(text("SHOW statement_timeout")).scalar_one() == "0"
