"""Who sees which customers and deals, filtered in SQL on real PostgreSQL: pages, totals and boards agree."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from sales.contacts import TeamMember

# The SQL filters are checked on PostgreSQL.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("postgresql_only")]


def test_reps_managers_and_admins_each_see_their_share_in_lists_pages_and_boards(client, headers, in_directory,
                                                                                 uow_factory):
    in_directory("rep-1", "east")
    in_directory("rep-2", "east")
    in_directory("rep-3", "north")
    in_directory("boss-east", "east", roles=("sales_manager",))
    owned = {"rep-1": 4, "rep-2": 3, "rep-3": 5}
    customers = {}
    for rep, count in owned.items():
        for n in range(count):
            made = client.post("/api/v1/customers", json={"name": f"{rep} {n}"}, headers=headers(rep, "sales_rep")).json
            customers.setdefault(rep, []).append(made)
            client.post(f"/api/v1/customers/{made['id']}/opportunities",
                        json={"name": "Deal", "amount": "10.00", "currency": "CNY", "expected_close_date": "2027-01-10"},
                        headers=headers(rep, "sales_rep"))
    # rep-3 lets rep-1 read one of theirs; an older membership of another has expired.
    first = customers["rep-3"][0]
    client.put(f"/api/v1/customers/{first['id']}/team-members/rep-1", json={"access": "read"},
               headers={**headers("rep-3", "sales_rep"), "If-Match": f'"{first["version"]}"'})
    with uow_factory() as uow:
        uow.teams.put(TeamMember(customers["rep-3"][1]["id"], "rep-1", "edit", "rep-3",
                                 datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 2, 1, tzinfo=timezone.utc)))
        uow.commit()

    def seen(viewer: dict) -> tuple[int, set[str]]:
        names, offset, total = set(), 0, None
        while True:
            page = client.get(f"/api/v1/customers?limit=2&offset={offset}", headers=viewer).json
            total = page["total"]
            names |= {c["name"] for c in page["items"]}
            if not page["items"]:
                return total, names
            offset += 2

    rep1_total, rep1_names = seen(headers("rep-1", "sales_rep"))
    assert rep1_total == len(rep1_names) == 5 and "rep-3 0" in rep1_names
    assert "rep-3 1" not in rep1_names and "rep-2 0" not in rep1_names
    boss_total, boss_names = seen(headers("boss-east", "sales_manager"))
    assert boss_total == len(boss_names) == 7 and not any(name.startswith("rep-3") for name in boss_names)
    assert seen(headers("root", "admin"))[0] == 12

    def board_count(viewer: dict, query: str = "") -> int:
        return sum(c["count"] for c in client.get(f"/api/v1/pipeline/kanban{query}", headers=viewer).json["columns"])

    assert board_count(headers("rep-1", "sales_rep")) == 5
    assert board_count(headers("boss-east", "sales_manager")) == 7
    assert board_count(headers("boss-east", "sales_manager"), "?team=north") == 0
    forecast = client.get("/api/v1/pipeline/forecast?from=2027-01&to=2027-01", headers=headers("boss-east", "sales_manager")).json
    assert [(r["count"], r["amount"], r["weighted_amount"]) for r in forecast["items"]] == [(7, "70.00", "7.00")]
    # And nothing of rep-2's reaches rep-1 by id.
    theirs = customers["rep-2"][0]["id"]
    rep1 = headers("rep-1", "sales_rep")
    for path in (f"/api/v1/customers/{theirs}", f"/api/v1/customers/{theirs}/opportunities",
                 f"/api/v1/customers/{theirs}/ownership-history"):
        assert client.get(path, headers=rep1).status_code == 404
    assert board_count(rep1, f"?customer_id={theirs}") == 0
