"""Contracts and their approval through the Flask test client: draft, submit, decide, sign, void, the job."""
from __future__ import annotations

import io
from datetime import date

import pytest

from sales.contract_service import run_lifecycle

PDF = b"%PDF-1.7\n" + b"x" * 2000
TERMS = {"title": "ERP licence 2027", "start_date": "2027-01-01", "end_date": "2027-12-31"}


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.json
    assert set(response.json) == {"code", "status", "message", "errors"}
    if code:
        assert response.json["code"] == code, response.json
    return response.json


@pytest.fixture(autouse=True)
def one_team(in_directory):
    """rep-1 and the sales managers are one team, so the managers oversee rep-1's deals (rep-2 is in none)."""
    in_directory("rep-1", "east")
    for manager in ("boss", "boss-1", "boss-2"):
        in_directory(manager, "east", roles=("sales_manager",))


@pytest.fixture
def order_of(client, convert, headers):
    """A placed order of a won deal of `owner`'s customer, for `price` (no tax, no discount)."""

    def placed(owner: str = "rep-1", price: str = "150000.00") -> dict:
        rep = headers(owner, "sales_rep")
        lead_id = convert(owner_id=owner).payload["lead_id"]
        customer = client.get(f"/api/v1/customers?lead_id={lead_id}", headers=rep).json["items"][0]
        [deal] = client.get(f"/api/v1/customers/{customer['id']}/opportunities", headers=rep).json["items"]
        client.post(f"/api/v1/opportunities/{deal['id']}/close", json={"outcome": "won"}, headers=rep)
        order = client.post("/api/v1/orders", headers=rep, json={
            "opportunity_id": deal["id"], "lines": [{"sku": "ERP", "quantity": "1", "unit_price": price}]})
        assert order.status_code == 201, order.json
        return order.json

    return placed


@pytest.fixture
def contract_of(client, order_of, headers):
    def drafted(owner: str = "rep-1", price: str = "150000.00") -> dict:
        order = order_of(owner, price)
        created = client.post("/api/v1/contracts", json={"order_id": order["id"], **TERMS},
                              headers=headers(owner, "sales_rep"))
        assert created.status_code == 201, created.json
        return created.json

    return drafted


@pytest.fixture
def people(headers):
    return {
        "rep": headers("rep-1", "sales_rep"),
        "other_rep": headers("rep-2", "sales_rep"),
        "manager": headers("boss", "sales_manager"),
        "manager2": headers("boss-2", "sales_manager"),
        "admin": headers("root", "admin"),
    }


def fresh(client, path: str, headers: dict) -> dict:
    """`headers` with If-Match naming the version of the resource at `path` as it is now."""
    read = client.get(path, headers=headers)
    assert read.status_code == 200, read.json
    return {**headers, "If-Match": read.headers["ETag"]}


def submit(client, contract_id, headers):
    return client.post(f"/api/v1/contracts/{contract_id}/submit",
                       headers=fresh(client, f"/api/v1/contracts/{contract_id}", headers))


def void(client, contract_id, headers, body):
    return client.post(f"/api/v1/contracts/{contract_id}/void", json=body,
                       headers=fresh(client, f"/api/v1/contracts/{contract_id}", headers))


def edit(client, contract_id, headers, body):
    return client.patch(f"/api/v1/contracts/{contract_id}", json=body,
                        headers=fresh(client, f"/api/v1/contracts/{contract_id}", headers))


def cancel(client, order_id, headers, body):
    return client.post(f"/api/v1/orders/{order_id}/cancel", json=body,
                       headers=fresh(client, f"/api/v1/orders/{order_id}", headers))


def decide(client, request_id, decision, headers, body):
    """An approver's decision as of the request they just read; a request they may not see is a 404 either way."""
    read = client.get(f"/api/v1/approvals/{request_id}", headers=headers)
    match = {"If-Match": read.headers["ETag"]} if read.status_code == 200 else {"If-Match": '"1"'}
    return client.post(f"/api/v1/approvals/{request_id}/{decision}", json=body, headers={**headers, **match})


def sign(client, contract_id, headers, content=PDF, content_type="application/pdf", signatories=("Ms Li", "Mr Wang")):
    data = {"signed_on": "2026-12-15", "signatories": list(signatories),
            "file": (io.BytesIO(content), "signed.pdf", content_type)}
    return client.post(f"/api/v1/contracts/{contract_id}/sign", data=data, content_type="multipart/form-data",
                       headers=fresh(client, f"/api/v1/contracts/{contract_id}", headers))


def approve_fully(client, contract, people) -> dict:
    submitted = submit(client, contract["id"], people["rep"]).json
    request_id = submitted["approval_request_id"]
    decide(client, request_id, "approve", people["manager"], {})
    decide(client, request_id, "approve", people["admin"], {})
    return client.get(f"/api/v1/contracts/{contract['id']}", headers=people["rep"]).json


def test_the_whole_path_from_draft_to_signed_with_the_trail_and_the_events(client, contract_of, people, published):
    contract = contract_of()
    assert (contract["status"], contract["amount"], contract["currency"]) == ("draft", "150000.00", "CNY")
    submitted = submit(client, contract["id"], people["rep"])
    assert submitted.status_code == 200 and submitted.json["status"] == "pending_approval", submitted.json
    request_id = submitted.json["approval_request_id"]

    # 150,000: the manager first, then an administrator; each sees it only on their turn.
    assert [r["id"] for r in client.get("/api/v1/approvals/todo", headers=people["manager"]).json["items"]] == [
        request_id]
    assert client.get("/api/v1/approvals/todo", headers=people["admin"]).json["items"] == []
    assert client.get("/api/v1/approvals/todo", headers=people["rep"]).json["items"] == []
    first = decide(client, request_id, "approve", people["manager"], {"comment": "ok", "step": 1})
    assert first.status_code == 200 and first.json["current_position"] == 2, first.json
    assert client.get(f"/api/v1/contracts/{contract['id']}", headers=people["rep"]).json["status"] == "pending_approval"
    assert client.get("/api/v1/approvals/todo", headers=people["manager"]).json["items"] == []
    assert [r["id"] for r in client.get("/api/v1/approvals/todo", headers=people["admin"]).json["items"]] == [
        request_id]
    last = decide(client, request_id, "approve", people["admin"], {})
    assert last.json["status"] == "approved"
    assert [(e["step_position"], e["actor_id"], e["decision"], e["comment"]) for e in last.json["trail"]] == [
        (0, "rep-1", "submitted", None), (1, "boss", "approved", "ok"), (2, "root", "approved", None)]
    assert client.get(f"/api/v1/contracts/{contract['id']}", headers=people["rep"]).json["status"] == "approved"

    signed = sign(client, contract["id"], people["rep"])
    assert signed.status_code == 200, signed.json
    assert (signed.json["status"], signed.json["signed_on"], signed.json["signatories"], signed.json["file_size"]) == (
        "signed", "2026-12-15", ["Ms Li", "Mr Wang"], len(PDF))
    download = client.get(f"/api/v1/contracts/{contract['id']}/file", headers=people["rep"])
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    names = [e["name"] for e in published() if e["name"].startswith("sales.contract.")]
    assert names == ["sales.contract.drafted.v1", "sales.contract.submitted.v1", "sales.contract.approved.v1",
                     "sales.contract.signed.v1"]


def test_a_smaller_contract_needs_only_the_manager(client, contract_of, people):
    contract = contract_of(price="99999.99")
    request_id = submit(client, contract["id"], people["rep"]).json[
        "approval_request_id"]
    decided = decide(client, request_id, "approve", people["manager"], {})
    assert decided.json["status"] == "approved" and [s["role"] for s in decided.json["steps"]] == ["sales_manager"]


@pytest.mark.parametrize("decision, outcome, event", [
    ("reject", "rejected", "sales.contract.rejected.v1"),
    ("send-back", "sent_back", "sales.contract.sent_back.v1"),
])
def test_a_refusal_needs_a_comment_and_returns_the_contract_to_draft(client, contract_of, people, published, decision,
                                                                     outcome, event):
    contract = contract_of()
    request_id = submit(client, contract["id"], people["rep"]).json[
        "approval_request_id"]
    assert_error(decide(client, request_id, decision, people["manager"], {}), 422)
    assert_error(decide(client, request_id, decision, people["manager"], {"comment": " "}), 422)
    refused = decide(client, request_id, decision, people["manager"], {"comment": "discount too deep"})
    assert refused.status_code == 200 and refused.json["status"] == outcome
    after = client.get(f"/api/v1/contracts/{contract['id']}", headers=people["rep"]).json
    assert (after["status"], after["last_approval_outcome"]) == ("draft", outcome)
    assert published()[-1]["name"] == event and published()[-1]["payload"]["comment"] == "discount too deep"
    # Changed and submitted again: a new request, from the first step.
    edited = edit(client, contract["id"], people["rep"], {"end_date": "2027-06-30"})
    assert edited.status_code == 200 and edited.json["end_date"] == "2027-06-30"
    again = submit(client, contract["id"], people["rep"]).json
    assert again["approval_request_id"] != request_id and again["status"] == "pending_approval"


def test_who_may_decide(client, contract_of, people, headers):
    contract = contract_of(owner="boss-2")  # a manager who owns a customer submits their own contract
    owner = headers("boss-2", "sales_manager")
    request_id = submit(client, contract["id"], owner).json["approval_request_id"]
    assert client.get("/api/v1/approvals/todo", headers=owner).json["items"] == []
    assert_error(decide(client, request_id, "approve", owner, {}), 403,
                 "own_approval_request")
    assert_error(decide(client, request_id, "approve", people["admin"], {}), 403,
                 "not_step_approver")
    # A rep holds no role of the flow: the request is not even theirs to see.
    assert_error(decide(client, request_id, "approve", people["rep"], {}), 404)
    assert client.get(f"/api/v1/approvals/{request_id}", headers=people["manager"]).json["status"] == "pending"


def test_a_retried_approval_changes_nothing_and_a_stale_one_is_refused(client, contract_of, people, published):
    contract = contract_of()
    request_id = submit(client, contract["id"], people["rep"]).json[
        "approval_request_id"]
    first = decide(client, request_id, "approve", people["manager"], {"step": 1})
    count = len(published())
    retry = decide(client, request_id, "approve", people["manager"], {"step": 1})
    assert retry.status_code == 200 and retry.json == first.json
    assert len(published()) == count
    assert_error(decide(client, request_id, "approve", people["manager2"], {"step": 1}), 409, "approval_step_decided")


@pytest.mark.parametrize("status_before", ["draft", "pending_approval"])
def test_an_unapproved_contract_is_not_signed_and_no_file_is_kept(client, contract_of, people, settings, status_before):
    contract = contract_of()
    if status_before == "pending_approval":
        submit(client, contract["id"], people["rep"])
    body = assert_error(sign(client, contract["id"], people["rep"]), 409, "contract_not_approved")
    assert "approved" in body["message"]
    after = client.get(f"/api/v1/contracts/{contract['id']}", headers=people["rep"]).json
    assert (after["status"], after["file_name"], after["version"]) == (
        status_before, None, contract["version"] + (status_before == "pending_approval"))
    folder = settings.data_dir / "contract-files"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_the_signed_copy_must_be_a_real_pdf_or_image_within_the_size_limit(client, contract_of, people, app, settings):
    contract = approve_fully(client, contract_of(), people)
    assert_error(sign(client, contract["id"], people["rep"], content=b"<html>", content_type="application/pdf"), 415,
                 "unsupported_contract_file_type")
    assert_error(sign(client, contract["id"], people["rep"], content=b"text", content_type="text/plain"), 415)
    app.extensions["sales.contract_file_store"].max_bytes = 1000
    assert_error(sign(client, contract["id"], people["rep"]), 413, "contract_file_too_large")
    assert_error(sign(client, contract["id"], people["rep"], signatories=()), 422)
    assert client.get(f"/api/v1/contracts/{contract['id']}", headers=people["rep"]).json["status"] == "approved"
    assert list((settings.data_dir / "contract-files").iterdir()) == []


def test_only_a_draft_is_edited_and_the_amount_is_never_set_by_hand(client, contract_of, people):
    contract = contract_of()
    assert_error(edit(client, contract["id"], people["rep"], {"amount": "1.00"}),
                 422)
    assert_error(client.post("/api/v1/contracts", json={"order_id": contract["order_id"], **TERMS, "end_date": "2026-12-31"},
                             headers=people["rep"]), 422)
    submit(client, contract["id"], people["rep"])
    assert_error(edit(client, contract["id"], people["rep"], {"title": "x"}), 409,
                 "contract_not_draft")
    assert_error(submit(client, contract["id"], people["rep"]), 409,
                 "contract_not_draft")


def test_one_live_contract_per_order_and_the_order_is_cancelled_only_once_it_is_voided(
        client, contract_of, people, published):
    contract = contract_of()
    order_id = contract["order_id"]
    assert_error(client.post("/api/v1/contracts", json={"order_id": order_id, **TERMS}, headers=people["rep"]), 409,
                 "order_has_contract")
    assert_error(cancel(client, order_id, people["rep"], {"reason": "x"}), 409,
                 "order_has_contract")
    request_id = submit(client, contract["id"], people["rep"]).json[
        "approval_request_id"]
    voided = void(client, contract["id"], people["rep"], {"reason": "customer withdrew"})
    assert voided.status_code == 200 and voided.json["status"] == "voided"
    # The pending request is withdrawn: it leaves the manager's list and can no longer be decided.
    assert client.get("/api/v1/approvals/todo", headers=people["manager"]).json["items"] == []
    assert_error(decide(client, request_id, "approve", people["manager"], {}), 409,
                 "approval_closed")
    assert_error(void(client, contract["id"], people["rep"], {"reason": "again"}), 409, "contract_not_voidable")
    voided_event = published()[-1]
    assert (voided_event["name"], voided_event["payload"]["previous_status"]) == (
        "sales.contract.voided.v1", "pending_approval")
    assert cancel(client, order_id, people["rep"], {"reason": "x"}).status_code == 200
    assert_error(client.post("/api/v1/contracts", json={"order_id": order_id, **TERMS}, headers=people["rep"]), 409,
                 "order_cancelled")


def test_another_rep_sees_none_of_it(client, contract_of, people):
    contract = contract_of()
    other = people["other_rep"]
    assert_error(client.get(f"/api/v1/contracts/{contract['id']}", headers=other), 404)
    assert client.get("/api/v1/contracts", headers=other).json["items"] == []
    for action in ("submit", "void"):
        assert_error(client.post(f"/api/v1/contracts/{contract['id']}/{action}", json={"reason": "x"},
                                 headers={**other, "If-Match": f'"{contract["version"]}"'}), 404)
    assert_error(client.post("/api/v1/contracts", json={"order_id": contract["order_id"], **TERMS}, headers=other), 404)
    assert [c["id"] for c in client.get("/api/v1/contracts", headers=people["manager"]).json["items"]] == [contract["id"]]


def test_the_lifecycle_job_activates_expires_and_reminds_once(client, contract_of, people, uow_factory, published):
    contract = approve_fully(client, contract_of(), people)
    sign(client, contract["id"], people["rep"])
    url = f"/api/v1/contracts/{contract['id']}"
    assert run_lifecycle(uow_factory, date(2026, 12, 31), 30) == {"activated": 0, "expired": 0, "reminded": 0}
    assert run_lifecycle(uow_factory, date(2027, 1, 1), 30)["activated"] == 1
    assert client.get(url, headers=people["rep"]).json["status"] == "active"
    assert run_lifecycle(uow_factory, date(2027, 11, 30), 30)["reminded"] == 0
    assert run_lifecycle(uow_factory, date(2027, 12, 1), 30)["reminded"] == 1
    assert run_lifecycle(uow_factory, date(2027, 12, 2), 30)["reminded"] == 0
    reminders = [e for e in published() if e["name"] == "sales.contract.renewal_due.v1"]
    assert [(e["payload"]["contract_id"], e["payload"]["days_left"]) for e in reminders] == [(contract["id"], 30)]
    assert run_lifecycle(uow_factory, date(2027, 12, 31), 30)["expired"] == 0
    assert run_lifecycle(uow_factory, date(2028, 1, 1), 30)["expired"] == 1
    assert client.get(url, headers=people["rep"]).json["status"] == "expired"
    names = [e["name"] for e in published() if e["name"].startswith("sales.contract.")]
    assert names[-3:] == ["sales.contract.activated.v1", "sales.contract.renewal_due.v1", "sales.contract.expired.v1"]


def test_admins_change_a_flow_and_new_requests_follow_it(client, contract_of, people):
    flow = client.get("/api/v1/approvals/flows/contract", headers=people["rep"]).json
    assert flow["steps"] == [{"role": "sales_manager", "min_amount": "0.00"},
                             {"role": "admin", "min_amount": "100000.00"}]
    new_flow = {"steps": [{"role": "admin", "min_amount": "0"}]}
    assert_error(client.put("/api/v1/approvals/flows/contract", json=new_flow, headers=people["manager"]), 403)
    assert_error(client.put("/api/v1/approvals/flows/contract", json={"steps": [{"role": "king"}]},
                            headers=people["admin"]), 422)
    assert_error(client.put("/api/v1/approvals/flows/holiday", json=new_flow, headers=people["admin"]), 404)
    changed = client.put("/api/v1/approvals/flows/contract", json=new_flow, headers=people["admin"])
    assert changed.status_code == 200 and changed.json["steps"] == [{"role": "admin", "min_amount": "0.00"}]
    contract = contract_of(price="10.00")
    request_id = submit(client, contract["id"], people["rep"]).json[
        "approval_request_id"]
    assert [r["id"] for r in client.get("/api/v1/approvals/todo", headers=people["admin"]).json["items"]] == [request_id]
    # An empty flow approves at once.
    client.put("/api/v1/approvals/flows/contract", json={"steps": []}, headers=people["admin"])
    quick = contract_of(price="20.00")
    assert submit(client, quick["id"], people["rep"]).json["status"] == "approved"


def test_every_change_names_the_version_it_was_made_on(client, contract_of, people, published):
    contract = contract_of()
    url = f"/api/v1/contracts/{contract['id']}"
    read = client.get(url, headers=people["rep"])
    assert read.headers["ETag"] == f'"{contract["version"]}"'
    assert_error(client.post(f"{url}/submit", headers=people["rep"]), 428, "precondition_required")
    assert_error(client.patch(url, json={"title": "x"}, headers=people["rep"]), 428)
    edited = client.patch(url, json={"title": "Renamed"}, headers={**people["rep"], "If-Match": read.headers["ETag"]})
    assert edited.status_code == 200
    # Someone else's edit in between: the old ETag no longer names the contract, and nothing happens.
    body = assert_error(client.post(f"{url}/submit", headers={**people["rep"], "If-Match": read.headers["ETag"]}),
                        412, "version_mismatch")
    assert body["errors"] == {"current_version": edited.json["version"]}
    assert client.get(url, headers=people["rep"]).json["status"] == "draft"
    request_id = submit(client, contract["id"], people["rep"]).json["approval_request_id"]

    seen = client.get(f"/api/v1/approvals/{request_id}", headers=people["manager"])
    assert_error(client.post(f"/api/v1/approvals/{request_id}/approve", json={}, headers=people["manager"]), 428)
    with_seen = {**people["manager"], "If-Match": seen.headers["ETag"]}
    first = client.post(f"/api/v1/approvals/{request_id}/approve", json={"step": 1}, headers=with_seen)
    assert first.status_code == 200
    count = len(published())
    # A retry of that very request (same ETag, same step, same decision) changes nothing and answers the same.
    retry = client.post(f"/api/v1/approvals/{request_id}/approve", json={"step": 1}, headers=with_seen)
    assert (retry.status_code, retry.json) == (200, first.json) and len(published()) == count
    # Another manager who read the request before the decision is refused.
    other_seen = {**people["manager2"], "If-Match": seen.headers["ETag"]}
    assert_error(client.post(f"/api/v1/approvals/{request_id}/reject", json={"comment": "no"}, headers=other_seen),
                 412, "version_mismatch")
    assert client.get(f"/api/v1/approvals/{request_id}", headers=people["manager"]).json["current_position"] == 2


def test_the_worker_runs_the_lifecycle_job_once_per_hour_with_the_configured_reminder_days(
        client, contract_of, people, app, uow_factory, published):
    from datetime import datetime, timezone

    from crm_shared.scheduler import Scheduler
    from sales.contract_service import contract_jobs

    contract = approve_fully(client, contract_of(), people)
    sign(client, contract["id"], people["rep"])
    jobs = contract_jobs(uow_factory, {"CRM_SALES_CONTRACT_RENEWAL_DAYS": "400"})
    scheduler = Scheduler(app.extensions["crm.engine"], jobs, worker_id="test")
    first_hour = datetime(2027, 1, 1, 8, 30, tzinfo=timezone.utc)
    assert scheduler.run_due(first_hour) == ["sales.contract_lifecycle"]
    # Another worker in the same hour finds the run claimed.
    assert Scheduler(app.extensions["crm.engine"], jobs, worker_id="other").run_due(first_hour) == []
    after = client.get(f"/api/v1/contracts/{contract['id']}", headers=people["rep"]).json
    assert after["status"] == "active" and after["renewal_reminded_at"] is not None
    [reminder] = [e for e in published() if e["name"] == "sales.contract.renewal_due.v1"]
    assert reminder["payload"]["days_left"] == 364
