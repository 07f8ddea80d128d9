"""Claim rules under concurrency on real PostgreSQL: one winner per lead, quotas and capacity hold."""

import pytest

from crm_shared.testing import all_at_once
from leads.pools import DEFAULT_LEAD_POOL_ID

# Concurrency is checked on PostgreSQL.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("postgresql_only")]

CLAIMERS = 20


def make_leads(client, manager, new_lead, count):
    return [client.post("/api/v1/leads", json=new_lead, headers=manager).json["id"] for _ in range(count)]


def set_rules(client, manager, **rules):
    assert client.patch(f"/api/v1/pools/{DEFAULT_LEAD_POOL_ID}", json={"rules": rules}, headers=manager).status_code == 200


def test_of_twenty_reps_claiming_one_lead_exactly_one_wins(app, client, tokens, manager, new_lead, published):
    [lead_id] = make_leads(client, manager, new_lead, 1)
    reps = [tokens.headers(f"rep-{n}", ["sales_rep"]) for n in range(CLAIMERS)]
    answers = all_at_once(app, [(f"/api/v1/leads/{lead_id}/claim", None, headers) for headers in reps])
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] + [409] * (CLAIMERS - 1), answers
    assert {body["code"] for status, body in answers if status == 409} == {"lead_already_claimed"}
    assert published().count("leads.lead.claimed.v1") == 1


def test_twenty_concurrent_claims_by_one_rep_with_a_quota_of_five_give_exactly_five(
        app, client, tokens, manager, new_lead, published):
    set_rules(client, manager, daily_claim_quota=5)
    lead_ids = make_leads(client, manager, new_lead, CLAIMERS)
    rep = tokens.headers("rep-1", ["sales_rep"])
    answers = all_at_once(app, [(f"/api/v1/leads/{lead_id}/claim", None, rep) for lead_id in lead_ids])
    assert sorted(status for status, _ in answers) == [200] * 5 + [403] * (CLAIMERS - 5), answers
    assert {body["code"] for status, body in answers if status == 403} == {"daily_claim_quota_reached"}
    assert published().count("leads.lead.claimed.v1") == 5


def test_concurrent_batch_claims_by_one_rep_never_exceed_the_private_capacity(
        app, client, tokens, manager, admin, new_lead):
    set_rules(client, manager, max_private_leads=7)
    lead_ids = make_leads(client, manager, new_lead, 2 * CLAIMERS)
    rep = tokens.headers("rep-1", ["sales_rep"])
    batches = [lead_ids[i:i + 2] for i in range(0, len(lead_ids), 2)]
    answers = all_at_once(app, [("/api/v1/leads/claim", {"lead_ids": batch}, rep) for batch in batches])
    assert sorted(status for status, _ in answers) == [200] * 3 + [403] * (CLAIMERS - 3), answers
    held = client.get("/api/v1/leads?owner=rep-1", headers=admin).json["total"]
    assert held == 6


def test_concurrent_claims_by_a_teams_members_never_exceed_the_team_capacity(
        app, client, tokens, manager, admin, new_lead):
    set_rules(client, manager, max_team_leads=4)
    lead_ids = make_leads(client, manager, new_lead, CLAIMERS)
    members = [tokens.headers(f"rep-{n}", ["sales_rep"], teams=["team-a"]) for n in range(CLAIMERS)]
    answers = all_at_once(app, [(f"/api/v1/leads/{lead_id}/claim", None, headers)
                                for lead_id, headers in zip(lead_ids, members)])
    assert sorted(status for status, _ in answers) == [200] * 4 + [403] * (CLAIMERS - 4), answers
    assert client.get("/api/v1/leads?status=claimed", headers=admin).json["total"] == 4
