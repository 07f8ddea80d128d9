"""Text no database column can store (NUL, lone surrogates) is refused before a view runs."""
import pytest
from flask import Flask

from crm_shared import errors
from crm_shared.web import install_text_guard


@pytest.fixture
def client():
    app = Flask("guarded")
    errors.register(app)
    install_text_guard(app)
    calls = []

    @app.route("/things/<name>", methods=["GET", "POST"])
    def things(name):
        calls.append(name)
        return {"ok": True}

    app.calls = calls
    return app.test_client()


@pytest.mark.parametrize(
    ("where", "request_args"),
    [
        ("body", {"method": "POST", "path": "/things/a", "json": {"name": "a\u0000b"}}),
        ("body", {"method": "POST", "path": "/things/a", "json": {"nested": [{"x": "\ud800"}]}}),
        ("query", {"method": "GET", "path": "/things/a", "query_string": {"q": "x\x00"}}),
        ("path", {"method": "GET", "path": "/things/a%00b"}),
    ],
)
def test_unstorable_text_is_refused_with_where_it_was_and_the_view_never_runs(client, where, request_args):
    response = client.open(**request_args)
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "validation_failed" and where in body["errors"]
    assert client.application.calls == []


def test_ordinary_text_passes(client):
    response = client.post("/things/a", json={"name": "安徽锦佳 \u00e9 \U0001f600"})
    assert response.status_code == 200
    assert client.application.calls == ["a"]
