"""The walks of a service's access-matrix test: every operation of its OpenAPI document tried by every role, and
by outsiders with the ids of another user's things.

Each service's `tests/api/test_access_matrix.py` holds what is its own: the rule of every operation (who may
call it, what it touches), the world of rep A's things with what of it is secret, the filters that narrow its
lists to A's, and the findings it accepts. What is the same everywhere lives here: filling ids into paths and
bodies, sending a request, and the walks, which name every request that got through so that a failure says
which endpoint leaks rather than that one did.

Kinds of operation: OWNED ones name one of A's things in the path; LISTING ones answer with many (or with
figures); BODY ones name A's things in the request body; SHARED ones manage what every user shares; PUBLIC
ones need no login.
"""
from __future__ import annotations

import io
import json
import re
import uuid
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping

API = "/api/v1/"
METHODS = ("get", "post", "put", "patch", "delete")
ROLES = ("admin", "sales_manager", "sales_rep", "service_agent", "service_manager", "executive")
OWNED, LISTING, BODY, SHARED, PUBLIC = "owned", "listing", "body", "shared", "public"

Ids = Mapping[str, list[str]]
# (walk, outsider, pattern, why): a finding the product accepts, or leaves open as a known issue.
Known = tuple[str, str, str, str]


@dataclass(frozen=True)
class Rule:
    """Who may call an operation (None: anyone, without logging in) and what it touches."""

    roles: tuple[str, ...] | None
    kind: str
    body: dict | None = None  # a valid request; "{name}" is filled like a path parameter
    multipart: bool = False  # the body as a form; its "file" field as an uploaded CSV file
    query: dict = field(default_factory=dict)


def filled(template, ids: Ids) -> list:
    """`template` (a path, a query or a body) with every "{name}" replaced by each of ids[name], every combination."""
    text = json.dumps(template) if not isinstance(template, str) else template
    results = [text]
    for name in dict.fromkeys(re.findall(r"{(\w+)}", text)):
        assert name in ids, f"{template}: no value for {{{name}}}; add it to the world (or the probe ids)"
        results = [r.replace("{" + name + "}", value) for r in results for value in ids[name]]
    return results if isinstance(template, str) else [json.loads(r) for r in results]


def placeholders(rule: Rule, path: str) -> set[str]:
    return set(re.findall(r"{(\w+)}", path + json.dumps(rule.body) + json.dumps(rule.query)))


def send(client, method: str, url: str, headers: dict, rule: Rule, body, ids: Ids | None = None):
    """`method url` with `body`, the rule's query (filled from `ids` when given), read to its end."""
    query = filled(rule.query, ids)[0] if ids is not None else rule.query
    kwargs: dict[str, Any] = {}
    if body is not None and rule.multipart:
        kwargs = {"data": {k: (io.BytesIO(v.encode("utf-8-sig")), "upload.csv") if k == "file" else v
                           for k, v in body.items()},
                  "content_type": "multipart/form-data"}
    elif body is not None:
        kwargs = {"json": body}
    response = getattr(client, method.lower())(url, headers=headers, query_string=query, **kwargs)
    response.get_data()  # an export streams: read and end it inside its request
    response.close()
    return response


def code_of(response) -> str | None:
    return response.json.get("code") if response.is_json and isinstance(response.json, dict) else None


def in_error_shape(response) -> bool:
    return response.is_json and set(response.json) == {"code", "status", "message", "errors"} and (
        response.json["status"] == response.status_code)


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.json if response.is_json else response.data[:300]
    return response.json


def secrets_in(text: str, secrets: Mapping[str, str]) -> list[str]:
    return [name for name, value in secrets.items() if value in text]


def versioned(client, url: str, headers: dict, reader: dict) -> dict:
    """`headers` with the If-Match of the nearest resource at or above `url` that `reader` reads (for writes
    that name the version they change)."""
    parts = url.split("/")
    while len(parts) > 3:
        response = client.get("/".join(parts), headers=reader)
        if response.status_code == 200 and response.headers.get("ETag"):
            return {**headers, "If-Match": response.headers["ETag"]}
        parts = parts[:-1]
    return headers


def without(value, volatile: set[str]):
    """`value` without the fields named in `volatile`, at any depth."""
    if isinstance(value, dict):
        return {k: without(v, volatile) for k, v in value.items() if k not in volatile}
    if isinstance(value, (list, tuple)):
        return [without(v, volatile) for v in value]
    return value


def volatile_fields(first, second) -> set[str]:
    """The fields whose values change by themselves between two reads (a computed-at time)."""
    if isinstance(first, dict) and isinstance(second, dict):
        shared = [k for k in first if k in second]
        return {k for k in shared if first[k] != second[k] and not isinstance(first[k], (dict, list))} | {
            name for k in shared for name in volatile_fields(first[k], second[k])}
    if isinstance(first, (list, tuple)) and isinstance(second, (list, tuple)):
        return {name for a, b in zip(first, second) for name in volatile_fields(a, b)}
    return set()


class AccessMatrix:
    """The rules of every operation of one service, and the walks over them."""

    def __init__(self, rules: Mapping[tuple[str, str], Rule], *, filters: Mapping[str, str] | None = None,
                 known: Iterable[Known] = ()):
        self.rules = dict(rules)
        # Query values that narrow a list to A's things: each one is also tried on its own.
        self.filters = dict(filters or {})
        # Anything else the walks find fails the test; a pattern that no longer matches fails it too.
        self.known = list(known)

    def uncovered(self, document: dict) -> list[str]:
        """Operations of the OpenAPI document without a rule, and rules of operations it does not have."""
        operations = {(method.upper(), path) for path, ops in document["paths"].items() if path.startswith(API)
                      for method in ops if method in METHODS}
        return ([f"no access rule for {method} {path}" for method, path in sorted(operations - set(self.rules))]
                + [f"a rule for {method} {path}, which the service does not have"
                   for method, path in sorted(set(self.rules) - operations)])

    def role_mismatches(self, client, tokens) -> list[str]:
        """Every (operation, role) whose answer disagrees with the rules about the role check, by name."""
        wrong = []
        for (method, path), rule in sorted(self.rules.items()):
            probe_ids = {name: [str(uuid.uuid4())] for name in placeholders(rule, path)}
            [url] = filled(path, probe_ids)
            body = filled(rule.body, probe_ids)[0] if rule.body is not None else None
            anonymous = send(client, method, url, {}, rule, body, probe_ids)
            if rule.roles is None:
                if anonymous.status_code in (401, 403):
                    wrong.append(f"{method} {path} refuses a caller without a token")
                continue
            if anonymous.status_code != 401 or not in_error_shape(anonymous):
                wrong.append(f"{method} {path} without a token answered {anonymous.status_code}")
            for role in ROLES:
                headers = tokens.headers(f"probe-{role}", [role], f"probe.{role}")
                response = send(client, method, url, headers, rule, body, probe_ids)
                refused = response.status_code == 403 and code_of(response) == "role_not_allowed"
                if response.status_code == 422 and code_of(response) == "validation_failed":
                    wrong.append(f"{method} {path}: the probe body is not valid ({response.json}); fix its rule's body")
                elif refused and not in_error_shape(response):
                    wrong.append(f"{method} {path} refused {role} outside the shared error shape")
                elif refused == (role in rule.roles):
                    wrong.append(f"{method} {path} as {role}: {response.status_code} {code_of(response)}")
        return wrong

    def reading_leaks(self, client, ids: Ids, secrets: Mapping[str, str], viewer_id: str, viewer: dict) -> list[str]:
        """What `viewer` learns of A's things: OWNED paths that answer, lists that show any of `secrets`."""
        leaks = []
        ids = {**ids, "viewer_id": [viewer_id]}
        for (method, path), rule in sorted(self.rules.items()):
            if rule.kind == OWNED and method == "GET":
                for url in filled(path, ids):
                    response = send(client, method, url, viewer, rule, None, ids)
                    if response.status_code != 404 and code_of(response) != "role_not_allowed":
                        leaks.append(f"GET {url} answered {response.status_code}")
            elif rule.kind == LISTING:
                base = filled(rule.query, ids)[0]
                bodies = filled(rule.body, ids) if rule.body is not None else [None]
                for url in filled(path, ids):
                    for query in [base] + [{**base, **filled({k: v}, ids)[0]} for k, v in self.filters.items()]:
                        for body in bodies:
                            response = send(client, method, url, viewer, replace(rule, query=query), body)
                            assert response.status_code < 500, (method, url, query, response.data[:300])
                            answered = response.status_code == 200 or code_of(response) == "role_not_allowed"
                            assert query is not base or answered, (
                                f"{method} {path}: its rule's query or body gets {response.status_code}, "
                                "so it proves nothing")
                            found = secrets_in(response.get_data(as_text=True), secrets)
                            if found:
                                leaks.append(f"{method} {url}?{query} shows A's {', '.join(found)}")
        return leaks

    def reads(self, client, ids: Ids, viewer: dict, kinds: tuple[str, ...] = (OWNED,)) -> dict:
        """Every GET of `kinds` naming A's things as `viewer` sees it: what a refused write must leave as it was."""
        seen = {}
        for (method, path), rule in sorted(self.rules.items()):
            if method == "GET" and rule.kind in kinds:
                for url in filled(path, ids):
                    response = send(client, method, url, viewer, rule, None, ids)
                    seen[url] = (response.status_code, response.json if response.is_json else response.get_data())
        return seen

    def writes_answered(self, client, ids: Ids, viewer_id: str, viewer: dict,
                        version: Callable[[str, dict], dict] | None = None) -> list[str]:
        """Every write naming A's things tried as `viewer` (with the headers `version` gives for the url, such as
        the current If-Match): what was not refused."""
        answered = []
        ids = {**ids, "viewer_id": [viewer_id]}
        for (method, path), rule in sorted(self.rules.items()):
            if method == "GET" or rule.kind not in (OWNED, BODY):
                continue
            for url in filled(path, ids):
                for body in filled(rule.body, ids) if rule.body is not None else [None]:
                    headers = version(url, viewer) if version is not None else viewer
                    response = send(client, method, url, headers, rule, body, ids)
                    code = code_of(response)
                    assert code != "validation_failed", f"{method} {path}: its rule's body {body} is not valid"
                    refused = response.status_code == 404 or code == "role_not_allowed" or (
                        rule.kind == BODY and 400 <= response.status_code < 500)
                    if not refused:
                        answered.append(f"{method} {url} {body} answered {response.status_code} {code}")
        return answered

    def none_of(self, found: list[str], walk: str | None = None, outsider: str | None = None) -> None:
        """`found` is empty but for known findings of the walk for `outsider`, and each of those is still found."""
        known = [(pattern, why) for kind, who, pattern, why in self.known if (kind, who) == (walk, outsider)]
        unexplained = [item for item in found if not any(re.match(pattern, item) for pattern, _ in known)]
        assert unexplained == [], "\n" + "\n".join(unexplained)
        gone = [why for pattern, why in known if not any(re.match(pattern, item) for item in found)]
        assert gone == [], f"no longer found, remove from the known findings: {gone}"
