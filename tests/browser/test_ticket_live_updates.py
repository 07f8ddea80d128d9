"""The ticket queue and the ticket page follow the live stream: what happens elsewhere shows without a reload.

Requests come through the public form's endpoint; the admin acts through the API as "someone else" while the
demo agent (agent1, password "demo") watches in Debian's Chromium via Playwright. The queue's own periodic
read comes once a minute, so a change seen within the timeout below came over the live stream.
"""

from __future__ import annotations

import uuid

import pytest
import requests

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

TIMEOUT_MS = 20_000


def _request(api: str, run: str, subject: str) -> None:
    sent = requests.post(f"{api}/public/requests", timeout=10, json={
        "name": "Robin Customer", "email": f"robin.{run}@example.com", "company": f"Robin Ltd {run}",
        "subject": subject, "description": "Nothing works since this morning.",
    })
    assert sent.status_code == 202, sent.text


def _ticket_id(api: str, headers: dict, subject: str) -> str:
    found = requests.get(f"{api}/tickets", params={"q": subject, "limit": 5}, headers=headers, timeout=10)
    assert found.status_code == 200, found.text
    ids = [item["id"] for item in found.json()["items"] if item["subject"] == subject]
    assert len(ids) == 1, found.json()
    return ids[0]


def test_the_queue_and_the_ticket_page_show_what_others_do_and_a_draft_is_never_reloaded_away(
    running_system, new_context, screenshot, sign_in
):
    from playwright.sync_api import expect

    base_url = running_system.gateway_url.rstrip("/")
    api = base_url + "/api/v1"
    admin = running_system.login("admin")
    run = uuid.uuid4().hex[:8]
    first_subject = f"Live queue first {run}"
    second_subject = f"Live queue second {run}"
    _request(api, run, first_subject)

    page = new_context().new_page()
    try:
        sign_in(page, base_url, "agent1", screenshot)
        expect(page.get_by_test_id("ticket-queue-page")).to_be_visible()
        page.get_by_test_id("queue-view-open").click()
        page.get_by_test_id("queue-q").fill(run)
        rows = page.locator('[data-testid="queue-row"]')
        expect(rows.filter(has_text=first_subject)).to_have_count(1, timeout=TIMEOUT_MS)

        # A request arriving while the agent watches the queue joins it by itself.
        _request(api, run, second_subject)
        expect(rows.filter(has_text=second_subject)).to_have_count(1, timeout=TIMEOUT_MS)
        screenshot(page, "agent-queue-live")

        # On the ticket page, a reply by someone else appears in the thread by itself.
        ticket_id = _ticket_id(api, admin, first_subject)
        rows.filter(has_text=first_subject).get_by_test_id("queue-open").click()
        expect(page.get_by_test_id("ticket-page")).to_be_visible()
        first_reply = f"First answer from a colleague ({run})."
        sent = requests.post(f"{api}/tickets/{ticket_id}/replies", json={"body": first_reply}, headers=admin, timeout=10)
        assert sent.status_code in (200, 201), sent.text
        expect(page.get_by_test_id("thread-reply").filter(has_text=first_reply)).to_be_visible(timeout=TIMEOUT_MS)

        # While the agent writes, the page stays put and offers a reload; the draft survives it.
        draft = f"Half-written answer ({run})"
        page.get_by_test_id("composer-reply").click()
        page.get_by_test_id("composer-body").fill(draft)
        second_reply = f"Second answer from a colleague ({run})."
        sent = requests.post(f"{api}/tickets/{ticket_id}/replies", json={"body": second_reply}, headers=admin, timeout=10)
        assert sent.status_code in (200, 201), sent.text
        notice = page.get_by_test_id("ticket-changed-elsewhere")
        expect(notice).to_be_visible(timeout=TIMEOUT_MS)
        expect(page.get_by_test_id("thread-reply").filter(has_text=second_reply)).to_have_count(0)
        screenshot(page, "agent-ticket-changed-while-writing")
        page.get_by_test_id("ticket-changed-reload").click()
        expect(page.get_by_test_id("thread-reply").filter(has_text=second_reply)).to_be_visible()
        expect(notice).to_have_count(0)
        expect(page.get_by_test_id("composer-body")).to_have_value(draft)
    except BaseException:
        try:
            screenshot(page, "ticket-live-updates-failure")
        except Exception:
            pass
        raise
