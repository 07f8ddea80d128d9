"""The access-matrix walker's own rules: how ids fill templates, which operations lack a rule, and that a known
finding is accepted only while it is still found."""
import pytest

from crm_shared.access_matrix import LISTING, OWNED, AccessMatrix, Rule, filled

DOCUMENT = {"paths": {
    "/api/v1/things": {"get": {}, "post": {}, "parameters": []},
    "/api/v1/things/{thing_id}": {"get": {}},
    "/openapi.json": {"get": {}},
}}


def test_a_template_is_filled_with_every_combination_of_the_ids_it_names():
    ids = {"thing_id": ["t1", "t2"], "viewer_id": ["v"]}
    assert filled("/api/v1/things/{thing_id}", ids) == ["/api/v1/things/t1", "/api/v1/things/t2"]
    assert filled({"ids": ["{thing_id}"], "to": "{viewer_id}"}, ids) == [
        {"ids": ["t1"], "to": "v"}, {"ids": ["t2"], "to": "v"}]
    with pytest.raises(AssertionError, match="no value for {other_id}"):
        filled("/api/v1/{other_id}", ids)


def test_operations_without_a_rule_and_rules_without_an_operation_are_named():
    matrix = AccessMatrix({
        ("GET", "/api/v1/things"): Rule(("admin",), LISTING),
        ("GET", "/api/v1/things/{thing_id}"): Rule(("admin",), OWNED),
        ("DELETE", "/api/v1/things/{thing_id}"): Rule(("admin",), OWNED),
    })
    assert matrix.uncovered(DOCUMENT) == [
        "no access rule for POST /api/v1/things",
        "a rule for DELETE /api/v1/things/{thing_id}, which the service does not have",
    ]


def test_a_known_finding_is_accepted_only_for_its_walk_and_outsider_and_only_while_it_is_found():
    matrix = AccessMatrix({}, known=[("read", "rep-b", r"GET /api/v1/things\?.* shows A's name$", "by design")])
    matrix.none_of(["GET /api/v1/things?{} shows A's name"], "read", "rep-b")
    with pytest.raises(AssertionError, match="shows A's name"):
        matrix.none_of(["GET /api/v1/things?{} shows A's name"], "read", "manager-b")
    with pytest.raises(AssertionError, match="GET /api/v1/things/t1 answered 200"):
        matrix.none_of(["GET /api/v1/things?{} shows A's name", "GET /api/v1/things/t1 answered 200"], "read", "rep-b")
    with pytest.raises(AssertionError, match="remove from the known findings"):
        matrix.none_of([], "read", "rep-b")
