"""A rep sees nothing of another rep's customers through any endpoint, found by walking the OpenAPI document.

Rep A (team t1) gets a whole world: a customer with contacts and a team member, a deal with product lines and
stage history, an order, an approved and signed contract, a payment plan, a payment, an invoice request and a
refund request waiting for approval. Rep B and the manager of team t2 then try every path of the service with
A's ids: reads answer 404 (what you may not see is the same as what does not exist), lists show none of A's ids
even when filtered by them, writes are refused and leave A's world as it was. A new endpoint is walked too; one
whose parameters the test cannot fill fails it, naming the path, until the maps below are extended.
"""
from __future__ import annotations

import io
import json
import re
import uuid

import pytest
from sqlalchemy import func, select

from crm_shared.db import outbox
from sales.approvals import SUBJECT_KINDS
from sales.deal_access import SUBJECT_TABLES

PDF = b"%PDF-1.7\n" + b"x" * 2000
API = "/api/v1/"
WRITES = ("post", "put", "patch", "delete")

# Paths whose parameters name no customer's data: configuration every user reads. Nothing else is skipped.
NO_CUSTOMER_DATA = {
    "/api/v1/products/{product_id}",  # the product catalogue
    "/api/v1/approvals/flows/{subject_kind}",  # the approval flows: roles and amounts, no subject
    "/api/v1/departments/{department_id}",  # the departments: names and teams
}

# Which of A's ids a path or body parameter takes, by its name.
ID_PARAMETERS = {
    "customer_id": "customer", "opportunity_id": "opportunity", "order_id": "order", "contract_id": "contract",
    "installment_id": "installment", "payment_id": "payment", "invoice_id": "invoice", "refund_id": "refund",
    "request_id": "approval_request", "lead_id": "lead", "contact_id": "contact", "expense_id": "expense",
    "target_id": "target", "follow_up_id": "follow_up",
}
# For a parameter named like `{id}`, the resource the path segment before it names.
ID_SEGMENTS = {
    "customers": "customer", "opportunities": "opportunity", "orders": "order", "contracts": "contract",
    "installments": "installment", "payments": "payment", "invoices": "invoice", "refunds": "refund",
    "approvals": "approval_request", "contacts": "contact", "expenses": "expense", "targets": "target",
    "follow-ups": "follow_up",
}
# Other parameters: who A is, and plain values for required query parameters.
OTHER_QUERY_VALUES = {"owner": "rep-a", "rep": "rep-a", "rep_id": "rep-a", "subject_id": "rep-a", "team": "t1",
                      "team_id": "t1"}
STRANGERS = {"owner": "nobody", "rep": "nobody", "rep_id": "nobody", "subject_id": "nobody", "team": "no-team",
             "team_id": "no-team"}
REQUIRED_QUERY_SAMPLES = {"from": "2026-01", "to": "2028-12", "period": "2026-12"}
# More of A's world where the service offers it: (kind, path, who makes it, fields beyond the sample body).
MORE_OF_AS_WORLD = [
    ("follow_up", "/api/v1/customers/{customer_id}/follow-ups", "rep-a", {}),
    ("expense", "/api/v1/expenses", "rep-a", {"spent_on": "2026-11-02"}),
    ("target", "/api/v1/targets", "boss-1", {"subject_kind": "rep", "subject_id": "rep-a", "period": "2026-12",
                                             "value": "100000.00", "currency": "CNY"}),
]


def _kind(name: str, path: str) -> str | None:
    if name in ID_PARAMETERS:
        return ID_PARAMETERS[name]
    before = path.split("{" + name + "}")[0].rstrip("/").rsplit("/", 1)[-1]
    return ID_SEGMENTS.get(before) if name == "id" or name.endswith("_id") else None


# -- the OpenAPI document ----------------------------------------------------------------------------------


class Spec:
    """The service's OpenAPI document, read the way a client would."""

    def __init__(self, document: dict):
        self.document = document
        self.paths = {path: ops for path, ops in document["paths"].items() if path.startswith(API)}

    def resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = self.document["components"]["schemas"][name]
        return schema

    def operations(self, method: str):
        for path, ops in sorted(self.paths.items()):
            if method in ops:
                yield path, ops[method]

    @staticmethod
    def path_parameters(path: str) -> list[str]:
        return re.findall(r"{(\w+)}", path)

    @staticmethod
    def query_parameters(operation: dict) -> list[dict]:
        return [p for p in operation.get("parameters", []) if p.get("in") == "query"]

    def sample(self, schema: dict, name: str, ids: dict[str, str]):
        """A valid value for a request field: A's id for an id field, a plausible value otherwise."""
        schema = self.resolve(schema)
        kind = ID_PARAMETERS.get(name)
        if kind in ids:
            return ids[kind]
        if "enum" in schema:
            return schema["enum"][0]
        kind_of_value = schema.get("type")
        if kind_of_value == "object" or "properties" in schema:
            # The required fields, any field naming one of A's things, and a name or text to change.
            properties = set(schema.get("properties", {}))
            names_a = {field for field in properties if ID_PARAMETERS.get(field) in ids}
            wanted = set(schema.get("required", [])) | names_a | ({"name", "title", "comment", "reason"} & properties)
            return {field: self.sample(sub, field, ids) for field, sub in schema.get("properties", {}).items()
                    if field in wanted}
        if kind_of_value == "array":
            return [self.sample(schema["items"], name, ids)]
        if kind_of_value == "integer":
            return 1
        if kind_of_value == "boolean":
            return False
        if kind_of_value == "number":
            return 1
        fmt = schema.get("format")
        if fmt == "date":
            # Something done (spent, received, signed on) lies in the past; terms lie ahead.
            return "2026-11-02" if name.endswith("_on") else "2027-02-01"
        if fmt == "date-time":
            return "2030-01-01T00:00:00+00:00"
        if fmt == "email":
            return "someone@example.com"
        if fmt == "uuid":
            return str(uuid.uuid4())
        if any(word in name for word in ("amount", "price", "discount", "value")):
            return "1.00"
        if name == "period":
            return "2026-12"
        if name in ("quantity", "tax_rate"):
            return "1"
        if name == "currency":
            return "CNY"
        if name == "access":
            return "edit"
        if name == "stage":
            return "negotiation"
        return f"probe {name}"

    def body(self, operation: dict, ids: dict[str, str]) -> tuple[str, dict] | None:
        """(content type, fields) of a valid request body, or None if the operation takes none."""
        content = operation.get("requestBody", {}).get("content", {})
        for content_type in ("application/json", "multipart/form-data"):
            if content_type in content:
                return content_type, self.sample(content[content_type]["schema"], "", ids)
        return None


# -- A's world ---------------------------------------------------------------------------------------------


def fresh(client, path: str, headers: dict) -> dict:
    read = client.get(path, headers=headers)
    assert read.status_code == 200, (path, read.json)
    return {**headers, "If-Match": read.headers["ETag"]}


def decide(client, request_id: str, decision: str, headers: dict, body: dict | None = None):
    url = f"/api/v1/approvals/{request_id}"
    return client.post(f"{url}/{decision}", json=body or {}, headers=fresh(client, url, headers))


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.json
    return response.json


@pytest.fixture
def people(headers, in_directory) -> dict:
    in_directory("rep-a", "t1")
    in_directory("rep-a2", "t1")
    in_directory("boss-1", "t1", roles=("sales_manager",))
    in_directory("rep-b", "t2")
    in_directory("boss-2", "t2", roles=("sales_manager",))
    return {"rep-a": headers("rep-a", "sales_rep"), "rep-a2": headers("rep-a2", "sales_rep"),
            "boss-1": headers("boss-1", "sales_manager"), "rep-b": headers("rep-b", "sales_rep"),
            "boss-2": headers("boss-2", "sales_manager"), "admin": headers("root", "admin")}


@pytest.fixture
def world(client, convert, people, spec) -> dict:
    """Rep A's ids by kind (each a list), everything a customer can have; rep B has a customer of their own."""
    a, manager = people["rep-a"], people["boss-1"]
    marker = uuid.uuid4().hex[:10]
    lead_id = convert(owner_id="rep-a", company=f"Secret customer {marker}", contact_name=f"Secret contact {marker}",
                      phone="+86 21 5555 0199").payload["lead_id"]
    [customer] = client.get(f"/api/v1/customers?lead_id={lead_id}", headers=a).json["items"]
    customer_url = f"/api/v1/customers/{customer['id']}"
    contacts = ok(client.put(f"{customer_url}/contacts", headers=fresh(client, customer_url, a), json={"contacts": [
        {"name": f"Secret contact {marker}", "is_primary": True, "phone": "+86 21 5555 0199"},
        {"name": f"Second contact {marker}", "email": f"second.{marker}@example.com"}]}))["contacts"]
    ok(client.put(f"{customer_url}/team-members/rep-a2", json={"access": "edit"},
                  headers=fresh(client, customer_url, a)))

    product = ok(client.post("/api/v1/products", headers=people["admin"], json={
        "sku": f"ERP-{uuid.uuid4().hex[:8]}", "name": "ERP licence", "unit_price": "50000.00", "currency": "CNY"}), 201)
    [deal] = client.get(f"{customer_url}/opportunities", headers=a).json["items"]
    deal_url = f"/api/v1/opportunities/{deal['id']}"
    ok(client.put(f"{deal_url}/lines", headers=fresh(client, deal_url, a),
                  json={"lines": [{"product_id": product["id"], "quantity": "1"}]}))
    stages = [s["key"] for s in client.get("/api/v1/pipeline/stages", headers=a).json["items"]]
    ok(client.post(f"{deal_url}/stage", json={"stage": stages[1]}, headers=fresh(client, deal_url, a)))
    ok(client.post(f"{deal_url}/close", json={"outcome": "won"}, headers=a))

    order = ok(client.post("/api/v1/orders", headers=a, json={
        "opportunity_id": deal["id"], "lines": [{"sku": "ERP", "quantity": "1", "unit_price": "50000.00"}]}), 201)
    contract = ok(client.post("/api/v1/contracts", headers=a, json={
        "order_id": order["id"], "title": f"Secret contract {marker}", "start_date": "2027-01-01",
        "end_date": "2027-12-31"}), 201)
    contract_url = f"/api/v1/contracts/{contract['id']}"
    contract_request = ok(client.post(f"{contract_url}/submit", headers=fresh(client, contract_url, a)))[
        "approval_request_id"]
    ok(decide(client, contract_request, "approve", manager))
    ok(client.post(f"{contract_url}/sign", content_type="multipart/form-data", headers=fresh(client, contract_url, a),
                   data={"signed_on": "2026-12-15", "signatories": ["Ms Li"],
                         "file": (io.BytesIO(PDF), "signed.pdf", "application/pdf")}))
    installments = ok(client.post("/api/v1/payment-plans", headers=a, json={
        "contract_id": contract["id"], "installments": [
            {"number": 1, "amount": "20000.00", "planned_date": "2027-01-31", "method": "bank_transfer"},
            {"number": 2, "amount": "30000.00", "planned_date": "2027-06-30", "method": "bank_transfer"}]}), 201)[
        "installments"]
    payment = ok(client.post("/api/v1/payments", headers=a, json={
        "contract_id": contract["id"], "amount": "25000.00", "received_on": "2026-12-20", "method": "bank_transfer"}),
        201)
    invoice = ok(client.post("/api/v1/invoices", headers=a, json={
        "contract_id": contract["id"], "amount": "20000.00", "title_type": "company", "title": f"Secret title {marker}",
        "tax_id": "91310000MA1FL0XX1", "bank": "ICBC", "bank_account": "6222000000000001",
        "address": "1 Bund Road, Shanghai", "tax_rate": "13"}), 201)
    refund = ok(client.post("/api/v1/refunds", headers=a, json={
        "contract_id": contract["id"], "amount": "1000.00", "reason": "The customer cancelled part of it.",
        "refunded_on": "2026-12-30"}), 201)
    assert (invoice["status"], refund["status"]) == ("pending_approval", "pending_approval")

    # Rep B works a customer of their own, so B's lists are not empty by accident.
    convert(owner_id="rep-b", company="B's own customer")
    world = {
        "customer": [customer["id"]], "opportunity": [deal["id"]], "order": [order["id"]], "contract": [contract["id"]],
        "installment": [i["id"] for i in installments], "payment": [payment["id"]], "invoice": [invoice["id"]],
        "refund": [refund["id"]], "lead": [lead_id], "contact": [c["id"] for c in contacts],
        "approval_request": [contract_request, invoice["approval_request_id"], refund["approval_request_id"]],
        # Not ids, but A's alone: B must never read them either.
        "secret": [marker],
    }
    for kind, path, who, fields in MORE_OF_AS_WORLD:
        operation = spec.paths.get(path, {}).get("post")
        if operation is None:
            continue
        url = fill(path, world, who)[0]
        body = {**spec.body(operation, {k: values[0] for k, values in world.items()})[1], **fields}
        made = client.post(url, json=body, headers=people[who])
        assert made.status_code == 201, (f"making A's {kind} with {body}: extend MORE_OF_AS_WORLD's fields", made.json)
        world[kind] = [made.json["id"]]
    return world


@pytest.fixture
def spec(client) -> Spec:
    return Spec(ok(client.get("/openapi.json")))


# -- the walk ------------------------------------------------------------------------------------------------


def fill(path: str, ids: dict[str, list[str]], viewer_id: str) -> list[str]:
    """The path with A's ids in its parameters, every combination; AssertionError naming a path it cannot fill."""
    urls = [path]
    for name in Spec.path_parameters(path):
        if name == "user_id":
            # The viewer putting themselves on A's customer, or taking A's team member off it.
            values = [viewer_id, "rep-a2"]
        else:
            kind = _kind(name, path)
            assert kind in ids, (f"{path}: no fixture id for the parameter {{{name}}}. Add it to ID_PARAMETERS or "
                                 f"ID_SEGMENTS (and to the world), or to NO_CUSTOMER_DATA if it names no "
                                 f"customer's data.")
            values = ids[kind]
        urls = [url.replace("{" + name + "}", value) for url in urls for value in values]
    return urls


def gist(response, asked: str | None = None, instead: str | None = None):
    """What an answer says: the body of a success (with `asked` read as `instead`, where it echoes the question);
    the status and code of a refusal (its message may quote the value asked for)."""
    if response.status_code != 200:
        return response.status_code, (response.json or {}).get("code") if response.is_json else None
    text = response.get_data(as_text=True)
    if asked is not None:
        text = text.replace(json.dumps(asked)[1:-1], json.dumps(instead)[1:-1])
    return 200, json.loads(text) if response.is_json else text


def differs(answer, reference, again) -> bool:
    """Whether `answer` differs from `reference` where `reference` is stable (the same in `again`)."""
    if reference == again:
        return answer != reference
    if isinstance(reference, dict) and isinstance(answer, dict) and isinstance(again, dict):
        return answer.keys() != reference.keys() or any(
            differs(answer[key], reference[key], again.get(key)) for key in reference)
    if isinstance(reference, (list, tuple)) and isinstance(answer, (list, tuple)) and isinstance(again, (list, tuple)):
        return len(answer) != len(reference) or len(again) != len(reference) or any(
            differs(a, r, g) for a, r, g in zip(answer, reference, again))
    return False  # a value that changes by itself from one call to the next


def secrets_in(text: str, world: dict) -> list[str]:
    return [f"{kind} {value}" for kind, values in world.items() for value in values if value in text]


def readable_with_etag(client, url: str, headers: dict) -> str | None:
    """The ETag of the nearest resource at or above `url` that `headers` may read (for If-Match)."""
    parts = url.split("/")
    while len(parts) > 3:
        response = client.get("/".join(parts), headers=headers)
        if response.status_code == 200 and response.headers.get("ETag"):
            return response.headers["ETag"]
        parts = parts[:-1]
    return None


def leaks_by_reading(client, spec: Spec, world: dict, viewer_id: str, viewer: dict) -> list[str]:
    """What `viewer` learns of A's world through every GET: single reads that answer, lists that mention it."""
    leaks = []
    for path, operation in spec.operations("get"):
        if path in NO_CUSTOMER_DATA:
            continue
        if Spec.path_parameters(path):
            for url in fill(path, world, viewer_id):
                response = client.get(url, headers=viewer)
                if response.status_code != 404:
                    leaks.append(f"GET {url} answered {response.status_code}")
            continue
        query = {p["name"]: REQUIRED_QUERY_SAMPLES[p["name"]] for p in spec.query_parameters(operation)
                 if p.get("required")}
        unknown = [p["name"] for p in spec.query_parameters(operation)
                   if p.get("required") and p["name"] not in REQUIRED_QUERY_SAMPLES]
        assert not unknown, f"{path}: no sample value for the required query parameters {unknown}"
        filters = [{}]
        for parameter in spec.query_parameters(operation):
            name = parameter["name"]
            kind = ID_PARAMETERS.get(name)
            if kind in world:
                filters += [{name: value} for value in world[kind]]
            elif name in OTHER_QUERY_VALUES:
                filters.append({name: OTHER_QUERY_VALUES[name]})
        # Switches widen a list (closed deals too, per owner): on, every one of them at once.
        switches = {p["name"]: "true" for p in spec.query_parameters(operation)
                    if spec.resolve(p.get("schema", {})).get("type") == "boolean"}
        for extra in filters + ([switches] if switches else []):
            response = client.get(path, query_string={**query, **extra}, headers=viewer)
            assert response.status_code < 500, (path, extra, response.data)
            found = secrets_in(response.get_data(as_text=True), world)
            if found:
                leaks.append(f"GET {path}?{extra} shows {', '.join(found)}")
            # Counts and totals name no id: filtered by A's id, the answer is the one a made-up id gets (echoing
            # the value asked for aside, and what changes from one call to the next, like the time of the answer).
            if extra and extra is not switches:
                stranger = {name: STRANGERS.get(name, str(uuid.uuid4())) for name in extra}
                [(name, value)] = extra.items()
                unknown = [gist(client.get(path, query_string={**query, **stranger}, headers=viewer))
                           for _ in range(2)]
                if differs(gist(response, value, stranger[name]), *unknown):
                    leaks.append(f"GET {path}?{extra} answers otherwise than for an unknown {name}")
    return leaks


def a_reads_everything(client, spec: Spec, world: dict, a: dict) -> dict:
    """Every answer A gets from every GET (its gist): what must not change when others try to write."""
    seen = {}
    for path, operation in spec.operations("get"):
        urls = fill(path, world, "rep-a") if Spec.path_parameters(path) and path not in NO_CUSTOMER_DATA else (
            [] if Spec.path_parameters(path) else [path])
        for url in urls:
            query = {p["name"]: REQUIRED_QUERY_SAMPLES.get(p["name"], "") for p in spec.query_parameters(operation)
                     if p.get("required")}
            seen[url] = gist(client.get(url, query_string=query, headers=a))
    return seen


def refused_writes(client, spec: Spec, world: dict, viewer_id: str, viewer: dict, a: dict) -> list[str]:
    """Every write naming A's things (in the path, or by id in the body) tried as `viewer`: what was not refused."""
    answered = []
    for method in WRITES:
        for path, operation in spec.operations(method):
            if path in NO_CUSTOMER_DATA:
                continue
            parameters = Spec.path_parameters(path)
            body = spec.body(operation, {kind: values[0] for kind, values in world.items()})
            names_a = bool(parameters) or (body is not None and isinstance(body[1], dict) and any(
                ID_PARAMETERS.get(field) in world for field in body[1]))
            if not names_a:
                continue  # creates something of the viewer's own (a customer, a product): nothing of A's
            for url in fill(path, world, viewer_id) if parameters else [path]:
                headers = dict(viewer)
                # A's current version, so that a refusal is for who asks, never for a missing If-Match.
                etag = readable_with_etag(client, url, a)
                if etag:
                    headers["If-Match"] = etag
                kwargs = {}
                if body is not None:
                    content_type, fields = body
                    if content_type == "multipart/form-data":
                        fields = {k: (io.BytesIO(PDF), "signed.pdf", "application/pdf") if k == "file" else v
                                  for k, v in fields.items()}
                        kwargs = {"data": fields, "content_type": content_type}
                    else:
                        kwargs = {"json": fields}
                response = getattr(client, method)(url, headers=headers, **kwargs)
                code = (response.json or {}).get("code") if response.is_json else None
                assert not (response.status_code == 422 and code == "validation_failed"), (
                    f"{method.upper()} {path}: the test's sample body {kwargs} is not valid ({response.json}); "
                    f"extend Spec.sample so that the refusal tested is the permission's")
                if response.status_code == 404 or (response.status_code == 403 and code == "role_not_allowed"):
                    continue
                answered.append(f"{method.upper()} {url} answered {response.status_code} {code}")
    return answered


def outbox_size(uow_factory) -> int:
    with uow_factory() as uow:
        return uow.session.execute(select(func.count()).select_from(outbox)).scalar_one()


# -- the tests -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("outsider", ["rep-b", "boss-2"])
def test_another_rep_and_another_teams_manager_read_nothing_of_reps_customers(client, spec, world, people, outsider):
    assert leaks_by_reading(client, spec, world, outsider, people[outsider]) == []


@pytest.mark.parametrize("outsider", ["rep-b", "boss-2"])
def test_their_writes_on_reps_things_are_refused_and_change_nothing(client, spec, world, people, outsider,
                                                                   uow_factory):
    before, events = a_reads_everything(client, spec, world, people["rep-a"]), outbox_size(uow_factory)
    again = a_reads_everything(client, spec, world, people["rep-a"])
    assert refused_writes(client, spec, world, outsider, people[outsider], people["rep-a"]) == []
    after = a_reads_everything(client, spec, world, people["rep-a"])
    assert [url for url in before if differs(after.get(url), before[url], again[url])] == []
    assert outbox_size(uow_factory) == events


def test_the_walk_sees_a_leak_once_rep_grants_read_access(client, spec, world, people):
    """The positive control: the same walk reports A's things once A lets B read the customer."""
    customer_url = f"/api/v1/customers/{world['customer'][0]}"
    ok(client.put(f"{customer_url}/team-members/rep-b", json={"access": "read"},
                  headers=fresh(client, customer_url, people["rep-a"])))
    leaks = leaks_by_reading(client, spec, world, "rep-b", people["rep-b"])
    for shown in (f"GET {customer_url} answered 200", f"GET /api/v1/invoices/{world['invoice'][0]} answered 200",
                  f"GET /api/v1/contracts/{world['contract'][0]}/file answered 200"):
        assert shown in leaks
    assert any(leak.startswith("GET /api/v1/refunds?{} shows") for leak in leaks)
    # Read access is not edit access: B's writes are still refused, now with 403 where B may read.
    assert refused_writes(client, spec, world, "rep-b", people["rep-b"], people["rep-a"])


def test_reps_own_teams_manager_sees_and_decides_what_the_other_teams_manager_does_not(client, world, people):
    pending = world["approval_request"][1:]
    todo = {name: [r["id"] for r in client.get("/api/v1/approvals/todo", headers=people[name]).json["items"]]
            for name in ("boss-1", "boss-2")}
    assert sorted(todo["boss-1"]) == sorted(pending) and todo["boss-2"] == []
    assert client.get(f"/api/v1/approvals/{pending[0]}", headers=people["boss-2"]).status_code == 404
    assert decide(client, pending[0], "approve", people["boss-1"]).status_code == 200


def test_managers_see_their_teams_reps_customers_and_the_pool_and_no_other_team(client, world, people, convert):
    convert(owner_id="rep-a2", company="A2's customer")

    def owners(viewer: str) -> list:
        listed = client.get("/api/v1/customers", headers=people[viewer]).json["items"]
        return sorted((customer["owner_id"] for customer in listed), key=str)  # None: in the pool

    assert owners("boss-1") == ["rep-a", "rep-a2"]
    assert owners("boss-2") == ["rep-b"]
    assert owners("rep-a2") == ["rep-a", "rep-a2"]  # rep-a2 is a team member of A's customer
    assert owners("rep-b") == ["rep-b"]
    returned = client.post(f"/api/v1/customers/{world['customer'][0]}/return-to-pool", json={"reason": "x"},
                           headers=people["rep-a"])
    assert returned.status_code == 409  # A's customer has a won deal and stays A's
    a2_customer = next(c for c in client.get("/api/v1/customers", headers=people["rep-a2"]).json["items"]
                       if c["owner_id"] == "rep-a2")
    ok(client.post(f"/api/v1/customers/{a2_customer['id']}/return-to-pool", json={"reason": "not for us"},
                   headers=people["rep-a2"]))
    assert None in owners("boss-2") and None in owners("boss-1")
    assert None not in owners("rep-b")


def test_every_kind_of_approval_subject_names_its_customer():
    """A new kind of subject must say whose it is, or managers would neither see nor decide its requests."""
    assert set(SUBJECT_TABLES) == set(SUBJECT_KINDS)
    assert all("customer_id" in table.c for table in SUBJECT_TABLES.values())
