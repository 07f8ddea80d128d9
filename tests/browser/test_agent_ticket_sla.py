"""An agent handles a ticket under SLA in the browser: queue countdown, public reply, internal note, resolve.

The ticket comes through the API (the public request form's endpoint, so the customer has an acknowledgement
number and a token to follow it) with a category of its own, which only the SLA policy created here matches.
A second browser context, without signing in, follows the request as the customer: it sees the agent's reply
and never the internal note. Runs against the real system (running_system from tests/conftest.py; the demo
users agent1 and admin, password "demo") in Debian's Chromium via Playwright. Screenshots of every page go to
test-artifacts/screenshots/.
"""

from __future__ import annotations

import random
import string
import uuid

import pytest
import requests

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

TIMEOUT_MS = 20_000


def test_an_agent_replies_notes_and_resolves_a_ticket_under_sla_and_the_customer_sees_only_the_reply(
    running_system, new_context, screenshot, sign_in
):
    from playwright.sync_api import expect

    base_url = running_system.gateway_url.rstrip("/")
    api = base_url + "/api/v1"
    admin = running_system.login("admin")
    run = uuid.uuid4().hex[:8]
    # A made-up word of letters only: the knowledge base's English search matches whole words of 3+ letters.
    word = "".join(random.choice(string.ascii_lowercase) for _ in range(10))
    category = f"e2e-sla-{run}"
    subject = f"Printer {word} jams on every invoice {run}"
    reply_text = f"We are sending a technician today ({run})."
    note_text = f"Internal: the customer's contract ends soon ({run})."

    # An SLA policy for this test's category only, counted around the clock (no calendar).
    policy = requests.post(f"{api}/sla-policies", headers=admin, timeout=10, json={
        "name": f"E2E SLA {run}", "position": 1, "active": True,
        "conditions": {"priorities": [], "categories": [category], "customer_levels": []},
        "calendar_id": None,
        "targets": {"first_response_minutes": 60, "next_response_minutes": 120, "resolution_minutes": 480},
        "pause_statuses": ["pending_customer", "on_hold"], "warning_percent": 80,
    })
    assert policy.status_code == 201, policy.text

    # A published knowledge-base article about the same word, when the knowledge base is there.
    article = requests.post(f"{api}/kb/articles", headers=admin, timeout=10, json={
        "title": f"Clearing a {word} paper jam", "body": f"Open the tray and remove the {word} sheet.",
        "visibility": "internal", "tags": [],
    })
    kb = article.status_code == 201
    if kb:
        article = article.json()
        published = requests.post(f"{api}/kb/articles/{article['id']}/publish", timeout=10,
                                  headers={**admin, "If-Match": f"\"{article['version']}\""})
        assert published.status_code == 200, published.text

    # The customer's request, through the API.
    sent = requests.post(f"{api}/public/requests", timeout=10, json={
        "name": "Quinn Customer", "email": f"quinn.{run}@example.com", "company": f"Quinn Print {run}",
        "subject": subject, "description": f"The {word} printer jams whenever we print an invoice.",
        "category": category,
    })
    assert sent.status_code == 202, sent.text
    number, token = sent.json()["number"], sent.json()["access_token"]

    agent_page = new_context().new_page()
    customer_page = new_context().new_page()
    try:
        # The agent starts on the ticket queues and finds the request among the open tickets, its clock running.
        sign_in(agent_page, base_url, "agent1", screenshot)
        expect(agent_page.get_by_test_id("ticket-queue-page")).to_be_visible()
        agent_page.get_by_test_id("queue-view-open").click()
        agent_page.get_by_test_id("queue-q").fill(run)
        row = agent_page.locator('[data-testid="queue-row"]').filter(has_text=subject)
        expect(row).to_have_count(1, timeout=TIMEOUT_MS)
        countdown = row.get_by_test_id("sla-countdown")
        expect(countdown).to_have_attribute("data-metric", "first_response")
        expect(countdown).to_have_attribute("data-tone", "ok")
        # The countdown ticks in the browser, without a new read.
        first_reading = countdown.inner_text()
        expect(countdown).not_to_have_text(first_reading, timeout=5_000)
        screenshot(agent_page, "agent-ticket-queue")

        # The ticket page: first response and resolution clocks running.
        row.get_by_test_id("queue-open").click()
        expect(agent_page.get_by_test_id("ticket-page")).to_be_visible()
        expect(agent_page.get_by_test_id("ticket-number")).to_have_text(number)
        first_response = agent_page.locator('[data-testid="sla-metric"][data-metric="first_response"]')
        resolution = agent_page.locator('[data-testid="sla-metric"][data-metric="resolution"]')
        expect(first_response).to_have_attribute("data-state", "running")
        expect(resolution).to_have_attribute("data-state", "running")
        screenshot(agent_page, "agent-ticket-new")

        # A public reply meets the first response and opens the ticket.
        agent_page.get_by_test_id("composer-reply").click()
        agent_page.get_by_test_id("composer-body").fill(reply_text)
        agent_page.get_by_test_id("composer-send").click()
        expect(agent_page.get_by_test_id("thread-reply").filter(has_text=reply_text)).to_be_visible()
        expect(first_response).to_have_attribute("data-state", "met", timeout=TIMEOUT_MS)
        expect(first_response.get_by_test_id("sla-countdown")).to_have_attribute("data-tone", "met")
        expect(agent_page.get_by_test_id("ticket-status")).to_have_attribute("data-status", "open")

        # An internal note: on the ticket, marked internal.
        agent_page.get_by_test_id("composer-note").click()
        agent_page.get_by_test_id("composer-body").fill(note_text)
        agent_page.get_by_test_id("composer-send").click()
        expect(agent_page.get_by_test_id("thread-note").filter(has_text=note_text)).to_be_visible()
        screenshot(agent_page, "agent-ticket-replied")

        # The customer follows the request with the acknowledgement number and token: the reply, never the note.
        customer_page.goto(f"{base_url}/request/{number}?token={token}")
        expect(customer_page.get_by_test_id("public-request-page")).to_be_visible()
        expect(customer_page.get_by_test_id("follow-number")).to_have_text(number)
        expect(customer_page.get_by_test_id("thread-reply").filter(has_text=reply_text)).to_be_visible()
        expect(customer_page.get_by_test_id("thread-note")).to_have_count(0)
        expect(customer_page.locator("body")).not_to_contain_text(note_text)
        screenshot(customer_page, "customer-follows-request")

        # The knowledge base suggests the article for this ticket; the agent says it helped.
        if kb:
            suggestion = agent_page.locator(f'[data-testid="kb-suggestion"][data-article-id="{article["id"]}"]')
            expect(suggestion).to_be_visible(timeout=TIMEOUT_MS)
            suggestion.get_by_test_id("kb-helped").click()
            expect(suggestion.get_by_test_id("kb-helped")).to_have_class(_contains("btn-primary-soft"))
            votes = requests.get(f"{api}/kb/articles/{article['id']}", headers=admin, timeout=10).json()
            assert votes["helped_count"] == 1

        # An edit made on a version someone else has changed meanwhile is refused with a message, not lost silently.
        agent_page.get_by_test_id("ticket-edit").click()
        agent_page.get_by_test_id("edit-priority").select_option("high")
        ticket_id = agent_page.url.rstrip("/").split("/")[-1]
        read = requests.get(f"{api}/tickets/{ticket_id}", headers=admin, timeout=10)
        tagged = requests.patch(f"{api}/tickets/{ticket_id}", json={"tags": [f"vip-{run}"]}, timeout=10,
                                headers={**admin, "If-Match": read.headers["ETag"]})
        assert tagged.status_code == 200, tagged.text
        agent_page.get_by_test_id("edit-save").click()
        expect(agent_page.get_by_test_id("ticket-edit-error")).to_contain_text("Someone changed this ticket")
        screenshot(agent_page, "agent-ticket-stale-edit")
        agent_page.get_by_test_id("ticket-edit-reload").click()
        expect(agent_page.get_by_test_id("edit-tags").locator(f'[data-value="vip-{run}"]')).to_be_visible()
        agent_page.get_by_test_id("edit-priority").select_option("high")
        agent_page.get_by_test_id("edit-save").click()
        expect(agent_page.get_by_test_id("detail-tags")).to_contain_text(f"vip-{run}")
        expect(agent_page.locator('[data-testid="history-entry"][data-kind="priority_changed"]')).to_be_visible()

        # Resolve with a solution: the resolution clock is met, the first response stays met.
        agent_page.get_by_test_id("move-resolved").click()
        dialog = agent_page.get_by_test_id("move-dialog")
        expect(dialog).to_be_visible()
        dialog.get_by_test_id("move-resolution").fill("Technician replaced the roller.")
        dialog.get_by_test_id("solution-summary").fill(f"Replace the {word} roller")
        dialog.get_by_test_id("solution-steps").fill("Open the tray\nReplace the roller")
        dialog.get_by_test_id("move-confirm").click()
        expect(agent_page.get_by_test_id("ticket-status")).to_have_attribute("data-status", "resolved", timeout=TIMEOUT_MS)
        expect(resolution).to_have_attribute("data-state", "met", timeout=TIMEOUT_MS)
        expect(first_response).to_have_attribute("data-state", "met")
        expect(agent_page.locator('[data-testid="history-entry"][data-kind="status_changed"]').first).to_be_visible()
        screenshot(agent_page, "agent-ticket-resolved")

        # The customer sees it resolved, still without the note.
        customer_page.reload()
        expect(customer_page.get_by_test_id("follow-status")).to_contain_text("Resolved")
        expect(customer_page.locator("body")).not_to_contain_text(note_text)
        screenshot(customer_page, "customer-request-resolved")
    except BaseException:
        for page, name in ((agent_page, "agent-ticket-failure"), (customer_page, "customer-request-failure")):
            try:
                screenshot(page, name)
            except Exception:
                pass
        raise


def _contains(css_class: str):
    import re

    return re.compile(rf"(^|\s){re.escape(css_class)}(\s|$)")


def test_a_customer_sends_a_request_through_the_public_form_and_follows_it_with_the_link_it_gives(
    running_system, new_context, screenshot
):
    from playwright.sync_api import expect

    base_url = running_system.gateway_url.rstrip("/")
    run = uuid.uuid4().hex[:8]
    subject = f"Cannot log in to the portal {run}"
    page = new_context().new_page()
    try:
        # No sign-in: the form stands alone, outside the app.
        page.goto(f"{base_url}/request")
        expect(page.get_by_test_id("request-form")).to_be_visible()
        expect(page.get_by_test_id("current-user")).to_have_count(0)

        # Checked before sending: required fields and the email's shape.
        page.get_by_test_id("request-email").fill("not-an-email")
        page.get_by_test_id("request-submit").click()
        expect(page.get_by_test_id("request-name-error")).to_be_visible()
        expect(page.get_by_test_id("request-email-error")).to_be_visible()
        expect(page.get_by_test_id("request-ack")).to_have_count(0)
        screenshot(page, "public-request-invalid")

        page.get_by_test_id("request-name").fill("Robin Requester")
        page.get_by_test_id("request-email").fill(f"robin.{run}@example.com")
        page.get_by_test_id("request-subject").fill(subject)
        page.get_by_test_id("request-description").fill("The portal says my password expired.")
        page.get_by_test_id("request-submit").click()
        expect(page.get_by_test_id("request-ack")).to_be_visible()
        number = page.get_by_test_id("ack-number").inner_text().strip()
        assert number.startswith("SD-")
        link = page.get_by_test_id("follow-link")
        expect(link).to_contain_text(f"/request/{number}?token=")
        screenshot(page, "public-request-acknowledged")

        # The link opens the request; the customer replies there.
        link.click()
        expect(page.get_by_test_id("follow-number")).to_have_text(number)
        expect(page.get_by_test_id("follow-header")).to_contain_text(subject)
        page.get_by_test_id("follow-reply-body").fill(f"It still fails this morning {run}.")
        page.get_by_test_id("follow-reply-send").click()
        expect(page.get_by_test_id("thread-reply").filter(has_text=f"It still fails this morning {run}.")).to_be_visible()
        screenshot(page, "public-request-followed")

        # Without the token the same number shows nothing.
        page.goto(f"{base_url}/request/{number}?token=wrong")
        expect(page.get_by_test_id("follow-missing")).to_be_visible()
        expect(page.locator("body")).not_to_contain_text(subject)
    except BaseException:
        try:
            screenshot(page, "public-request-failure")
        except Exception:
            pass
        raise
