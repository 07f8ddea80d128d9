"""Rate limits on looking at leads and on claiming them: per user, per minute, shared by every process."""
import threading

import pytest

from leads import config


@pytest.fixture
def limits(monkeypatch):
    """Set the per-minute limits for one test (the settings are read once per process, so the cache is cleared)."""

    def set_limits(views: int = 300, claims: int = 30):
        monkeypatch.setenv("CRM_LEADS_POOL_VIEWS_PER_MINUTE", str(views))
        monkeypatch.setenv("CRM_LEADS_CLAIMS_PER_MINUTE", str(claims))
        config.pool_views_per_minute.cache_clear()
        config.claims_per_minute.cache_clear()

    yield set_limits
    config.pool_views_per_minute.cache_clear()
    config.claims_per_minute.cache_clear()


def _pool_leads(client, manager, new_lead, count: int) -> list[str]:
    return [client.post("/api/v1/leads", json=new_lead, headers=manager).json["id"] for _ in range(count)]


def test_looking_at_leads_past_the_limit_is_refused_with_retry_after(client, rep1, rep2, limits):
    limits(views=3)
    looks = [
        client.get("/api/v1/leads", headers=rep1),
        client.get("/api/v1/leads/search", headers=rep1),
        client.get("/api/v1/leads/export?format=csv", headers=rep1),
    ]
    assert [look.status_code for look in looks] == [200, 200, 200]
    refused = client.get("/api/v1/leads", headers=rep1)
    assert refused.status_code == 429
    assert refused.json["code"] == "rate_limited"
    assert "looked at leads too often" in refused.json["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json["errors"]["retry_after"] == int(refused.headers["Retry-After"])
    # The limit is the user's own: another rep is not held back by it.
    assert client.get("/api/v1/leads", headers=rep2).status_code == 200


def test_a_refused_claim_claims_nothing_and_the_window_opens_again(client, app, rep1, manager, new_lead, limits,
                                                                   uow_factory):
    limits(claims=2)
    first, second, third = _pool_leads(client, manager, new_lead, 3)
    assert client.post(f"/api/v1/leads/{first}/claim", headers=rep1).status_code == 200
    assert client.post("/api/v1/leads/claim", json={"lead_ids": [second]}, headers=rep1).status_code == 200
    refused = client.post(f"/api/v1/leads/{third}/claim", headers=rep1)
    assert refused.status_code == 429
    assert "claim leads too often" in refused.json["message"]
    assert client.get(f"/api/v1/leads/{third}", headers=manager).json["status"] == "pool"

    # A minute later the window has passed: move the window's start back instead of waiting.
    from datetime import timedelta

    from sqlalchemy import update

    from crm_shared.envelope import utc_now
    from leads.db import rate_limits
    with uow_factory() as uow:
        uow.session.execute(update(rate_limits).values(window_started_at=utc_now() - timedelta(seconds=61)))
        uow.commit()
    assert client.post(f"/api/v1/leads/{third}/claim", headers=rep1).status_code == 200


def test_simultaneous_claim_requests_get_no_more_than_the_limit_through(app, rep1, manager, new_lead, limits):
    limits(claims=5)
    leads = _pool_leads(app.test_client(), manager, new_lead, 12)
    barrier = threading.Barrier(len(leads))
    answers = []

    def claim(lead_id):
        client = app.test_client()
        barrier.wait()
        answers.append(client.post(f"/api/v1/leads/{lead_id}/claim", headers=rep1).status_code)

    threads = [threading.Thread(target=claim, args=(lead,)) for lead in leads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200] * 5 + [429] * 7


def test_a_limit_that_is_not_a_positive_whole_number_is_refused_at_start(limits, monkeypatch):
    limits()
    monkeypatch.setenv("CRM_LEADS_CLAIMS_PER_MINUTE", "many")
    config.claims_per_minute.cache_clear()
    with pytest.raises(ValueError, match="CRM_LEADS_CLAIMS_PER_MINUTE must be a whole number"):
        config.claims_per_minute()
