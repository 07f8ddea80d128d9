"""Users in the browser: the admin creates a rep on the Users page, the rep claims a lead, and once the admin
moves the rep into the East team on the same page, East's sales manager finds the rep's lead in the lead
search: gateway.user.changed.v1 reached the leads service's user directory.

Runs against the real system (the running_system fixture from tests/conftest.py, with the demo users
admin and manager, password "demo"; the manager leads East) in Debian's Chromium via Playwright.
Screenshots go to test-artifacts/screenshots/ (prefix users-admin-).
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import uuid

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

REP_PASSWORD = "a long secret"
PROPAGATION_SECONDS = 30


def status_of(base_url: str, path: str, token: str) -> int:
    request = urllib.request.Request(base_url + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def search_rows(page, company: str, lead_id: str):
    """Search for `company` on the lead search page; the result rows of `lead_id` once the search answered."""
    from playwright.sync_api import expect

    page.get_by_test_id("search-q").fill(company)
    with page.expect_response(lambda response: "/api/v1/leads/search" in response.url):
        page.get_by_test_id("search-submit").click()
    expect(page.get_by_test_id("search-total")).to_be_visible()
    return page.locator(f'[data-testid="search-row"][data-lead-id="{lead_id}"]')


def test_admin_moves_a_new_rep_into_east_and_east_s_manager_then_sees_the_rep_s_lead(
    running_system, new_context, screenshot, api_call, api_login, sign_in
):
    from playwright.sync_api import expect

    base_url = running_system.gateway_url.rstrip("/")
    run = uuid.uuid4().hex[:6]
    username = f"rep.{run}"
    display_name = f"Tess Transfer {run}"
    elsewhere = f"Outside {run}"
    company = f"E2E Team Move {run}"
    admin = new_context().new_page()
    manager = new_context().new_page()
    admin_token = api_login(base_url, "admin")
    rep_id = None
    try:
        # -- the admin creates the rep on the Users page, in a team of their own ---------------------
        sign_in(admin, base_url, "admin")
        admin.get_by_test_id("nav-users").click()
        expect(admin.get_by_test_id("users-page")).to_be_visible()
        expect(admin.get_by_test_id("users-table")).to_be_visible()
        screenshot(admin, "users-admin-list")

        admin.get_by_test_id("new-user-button").click()
        form = admin.get_by_test_id("user-form")
        expect(form).to_be_visible()
        form.get_by_test_id("user-username").fill(username)
        form.get_by_test_id("user-display-name").fill(display_name)
        # The form refuses a short password before asking the server.
        form.get_by_test_id("user-password").fill("short")
        form.get_by_test_id("user-save").click()
        expect(form.get_by_test_id("user-form-error")).to_be_visible()
        form.get_by_test_id("user-password").fill(REP_PASSWORD)
        expect(form.get_by_test_id("user-roles").locator('[data-value="sales_rep"]')).to_have_attribute("aria-pressed", "true")
        form.get_by_test_id("user-new-teams-input").fill(elsewhere)
        form.get_by_test_id("user-new-teams-input").press("Enter")
        screenshot(admin, "users-admin-new-rep")
        form.get_by_test_id("user-save").click()
        expect(admin.get_by_test_id("toast-success").filter(has_text=f"{display_name} created")).to_be_visible()
        row = admin.locator(f'[data-testid="users-row"][data-username="{username}"]')
        expect(row.get_by_test_id("user-teams-cell")).to_have_text(elsewhere)
        rep_id = row.get_attribute("data-user-id")

        # -- the rep claims a new lead; East's manager cannot see it -----------------------------------
        manager_token = api_login(base_url, "manager")
        lead = api_call(base_url, "POST", "/api/v1/leads", {
            "company": company, "contact_name": "Toni Team", "phone": f"139{int(run, 16) % 10**8:08d}",
            "email": f"toni.{run}@example.com", "channel": "web",
        }, token=manager_token)
        rep_token = api_call(base_url, "POST", "/api/v1/auth/login", {"username": username, "password": REP_PASSWORD})["access_token"]
        [claimed] = api_call(base_url, "POST", "/api/v1/leads/claim", {"lead_ids": [lead["id"]]}, token=rep_token)["items"]
        assert claimed["owner_id"] == rep_id
        assert status_of(base_url, f"/api/v1/leads/{lead['id']}", manager_token) == 404

        sign_in(manager, base_url, "manager")
        manager.get_by_test_id("nav-lead-search").click()
        expect(manager.get_by_test_id("lead-search-page")).to_be_visible()
        expect(search_rows(manager, company, lead["id"])).to_have_count(0)

        # -- the admin moves the rep from their own team into East ------------------------------------
        east = next(team for team in api_call(base_url, "GET", "/api/v1/teams", token=admin_token)["items"]
                    if team["name"] == "East")
        row.get_by_test_id("edit-user-button").click()
        form = admin.get_by_test_id("user-form")
        expect(form).to_be_visible()
        teams = form.get_by_test_id("user-teams")
        expect(teams.locator(".chip-option.on")).to_have_count(1)
        teams.locator(".chip-option.on").click()  # out of their own team
        teams.locator(f'[data-value="{east["id"]}"]').click()
        expect(teams.locator(".chip-option.on")).to_have_count(1)
        screenshot(admin, "users-admin-move-rep")
        form.get_by_test_id("user-save").click()
        expect(admin.get_by_test_id("toast-success").filter(has_text=f"{display_name} saved")).to_be_visible()
        expect(row.get_by_test_id("user-teams-cell")).to_have_text("East")
        screenshot(admin, "users-admin-moved")

        # -- East's manager now finds the rep's lead (the directory learnt of the move by event) -------
        deadline = time.monotonic() + PROPAGATION_SECONDS
        while True:
            found = search_rows(manager, company, lead["id"])
            if found.count() == 1 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        expect(found).to_have_count(1)
        expect(found).to_contain_text(display_name)
        screenshot(manager, "users-admin-manager-sees-lead")
    finally:
        if rep_id is not None:
            # Leave the shared demo system as it was: the rep no longer counts in East.
            api_call(base_url, "PATCH", f"/api/v1/users/{rep_id}", {"active": False, "team_names": [elsewhere]},
                     token=admin_token)
        for name, page in (("admin", admin), ("manager", manager)):
            try:
                screenshot(page, f"users-admin-{name}-last")
            except Exception:
                pass
