"""Tracked links under concurrency on real PostgreSQL: every click counted, one first-click event per delivery."""
import threading

import pytest

# Concurrency is checked on PostgreSQL.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("postgresql_only")]

CLICKERS = 20


def test_twenty_simultaneous_clicks_on_one_link_count_twenty_and_publish_one_event(
        app, client, manager, new_lead, published):
    lead = client.post("/api/v1/leads", json=new_lead, headers=manager).json
    material = client.post("/api/v1/materials", json={"name": "Brochure", "url": "https://example.com/b"},
                           headers=manager).json
    delivery = client.post(f"/api/v1/materials/{material['id']}/distribute", json={"lead_ids": [lead["id"]]},
                           headers=manager).json["items"][0]
    barrier = threading.Barrier(CLICKERS)
    statuses = []

    def click():
        visitor = app.test_client()
        barrier.wait()
        statuses.append(visitor.get(delivery["tracking_url"]).status_code)

    threads = [threading.Thread(target=click) for _ in range(CLICKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == [302] * CLICKERS
    assert published().count("leads.material.clicked.v1") == 1
    seen = client.get(f"/api/v1/materials/{material['id']}/deliveries", headers=manager).json["items"][0]
    assert (seen["click_count"], seen["open_count"]) == (CLICKERS, 1)
