"""One OpenAPI document for the whole API: the gateway's own merged with each service's, and /docs to read it."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from flask import Flask, current_app, jsonify, render_template

from crm_shared.auth import public
from gateway.routes import ROUTES, owner_of
from gateway.upstream import ServiceUnavailable, Upstream

# Component kinds whose names are prefixed with the service; security schemes are shared by all.
PREFIXED_KINDS = ("schemas", "responses", "parameters", "examples", "requestBodies", "headers", "links", "callbacks")
SERVICES = tuple(dict.fromkeys(ROUTES.values()))
FETCH_READ_TIMEOUT = 5.0
# A document missing a service is kept briefly, so a service that just started appears soon.
INCOMPLETE_CACHE_SECONDS = 5.0


def _rename_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            key: renames.get(value, value) if key == "$ref" and isinstance(value, str) else _rename_refs(value, renames)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rename_refs(item, renames) for item in node]
    return node


def prefixed(service: str, document: dict) -> tuple[dict, dict]:
    """The paths this service owns behind the gateway and its components, names prefixed `<service>.`."""
    components = document.get("components") or {}
    renames = {
        f"#/components/{kind}/{name}": f"#/components/{kind}/{service}.{name}"
        for kind in PREFIXED_KINDS
        for name in (components.get(kind) or {})
    }
    paths = {
        path: _rename_refs(item, renames)
        for path, item in (document.get("paths") or {}).items()
        if owner_of(path) == service
    }
    renamed: dict[str, dict] = {}
    for kind, entries in components.items():
        if kind in PREFIXED_KINDS:
            renamed[kind] = {f"{service}.{name}": _rename_refs(value, renames) for name, value in entries.items()}
        else:
            renamed[kind] = dict(entries)
    return paths, renamed


def merge(own: dict, services: dict[str, dict | None]) -> dict:
    """The gateway's document with every answering service's paths and components; `x-unavailable` names the rest."""
    paths = dict(own.get("paths") or {})
    components: dict[str, dict] = {kind: dict(entries) for kind, entries in (own.get("components") or {}).items()}
    tags = list(own.get("tags") or [])
    unavailable = []
    for service, document in services.items():
        if document is None:
            unavailable.append(service)
            continue
        service_paths, service_components = prefixed(service, document)
        for path, item in service_paths.items():
            paths.setdefault(path, {}).update(item)
        for kind, entries in service_components.items():
            components.setdefault(kind, {}).update(entries)
        known = {tag.get("name") for tag in tags}
        tags.extend(tag for tag in document.get("tags") or [] if tag.get("name") not in known)
    return {
        "openapi": own.get("openapi", "3.0.3"),
        "info": {
            "title": "CRM API",
            "version": "v1",
            "description": "Every endpoint of the CRM, as the browser reaches it through the gateway. "
            "Send `Authorization: Bearer <token>` from POST /api/v1/auth/login.",
        },
        "paths": dict(sorted(paths.items())),
        "components": components,
        "tags": tags,
        "security": own.get("security") or [{"bearer": []}],
        "x-unavailable": sorted(unavailable),
    }


def fetch_service_document(upstream: Upstream, service: str) -> dict | None:
    """A service's /openapi.json, or None when it does not answer with one."""
    try:
        answer = upstream.request(
            service, "GET", "/openapi.json", headers={"Accept": "application/json"}, read_timeout=FETCH_READ_TIMEOUT
        )
    except ServiceUnavailable:
        return None
    if answer.status_code != 200:
        return None
    try:
        document = answer.json()
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


class MergedDocument:
    """The merged document, built at most once per `max_age` seconds per process."""

    def __init__(self, build: Callable[[], dict], max_age: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.build = build
        self.max_age = max_age
        self.clock = clock
        self._lock = threading.Lock()
        self._document: dict | None = None
        self._expires_at = 0.0

    def get(self) -> dict:
        with self._lock:
            if self._document is None or self.clock() >= self._expires_at:
                self._document = self.build()
                complete = not self._document.get("x-unavailable")
                self._expires_at = self.clock() + (self.max_age if complete else min(self.max_age, INCOMPLETE_CACHE_SECONDS))
            return self._document


def builder(own: Callable[[], dict], upstream: Upstream, executor: ThreadPoolExecutor) -> Callable[[], dict]:
    def build() -> dict:
        futures = {service: executor.submit(fetch_service_document, upstream, service) for service in SERVICES}
        return merge(own(), {service: future.result() for service, future in futures.items()})

    return build


# -- reading it ---------------------------------------------------------------------------------

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def describe(schema: dict | None) -> dict:
    """A short description of a schema for the docs page: {"text": ..., "ref": schema name or None}."""
    if not schema:
        return {"text": "", "ref": None}
    if "$ref" in schema:
        return {"text": _ref_name(schema["$ref"]), "ref": _ref_name(schema["$ref"])}
    if schema.get("type") == "array":
        inner = describe(schema.get("items"))
        return {"text": f"array of {inner['text'] or 'any'}", "ref": inner["ref"]}
    for combinator in ("allOf", "oneOf", "anyOf"):
        if schema.get(combinator):
            parts = [describe(part) for part in schema[combinator]]
            named = next((part["ref"] for part in parts if part["ref"]), None)
            return {"text": f" {combinator} ".join(part["text"] or "object" for part in parts), "ref": named}
    text = schema.get("type", "object")
    if schema.get("format"):
        text += f" ({schema['format']})"
    if schema.get("enum"):
        text += ": one of " + ", ".join(str(value) for value in schema["enum"])
    if schema.get("nullable"):
        text += ", may be null"
    return {"text": text, "ref": None}


def _first_content_schema(content: dict | None) -> tuple[str | None, dict | None]:
    for media_type, entry in (content or {}).items():
        return media_type, (entry or {}).get("schema")
    return None, None


def docs_view_model(document: dict) -> dict:
    """Operations grouped by tag and schemas with their fields, ready for the Jinja template."""
    groups: dict[str, list[dict]] = {}
    shared_responses = (document.get("components") or {}).get("responses", {})
    for path, item in document.get("paths", {}).items():
        shared_parameters = item.get("parameters") or []
        for method in HTTP_METHODS:
            operation = item.get(method)
            if not operation:
                continue
            parameters = [
                {
                    "name": parameter.get("name"),
                    "in": parameter.get("in"),
                    "required": parameter.get("required", False),
                    "type": describe(parameter.get("schema")),
                    "description": parameter.get("description", ""),
                }
                for parameter in [*shared_parameters, *(operation.get("parameters") or [])]
                if "name" in parameter
            ]
            media_type, body_schema = _first_content_schema((operation.get("requestBody") or {}).get("content"))
            responses = []
            for code, response in sorted((operation.get("responses") or {}).items()):
                if "$ref" in response:
                    response = {"description": _ref_name(response["$ref"]), **shared_responses.get(_ref_name(response["$ref"]), {})}
                _, schema = _first_content_schema(response.get("content"))
                responses.append({"code": code, "description": response.get("description", ""), "schema": describe(schema)})
            tag = (operation.get("tags") or ["other"])[0]
            groups.setdefault(tag, []).append(
                {
                    "id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary") or "",
                    "description": operation.get("description") or "",
                    "public": operation.get("security") == [],
                    "parameters": parameters,
                    "body": {"media_type": media_type, "schema": describe(body_schema)} if media_type else None,
                    "responses": responses,
                }
            )
    schemas = []
    for name, schema in sorted((document.get("components") or {}).get("schemas", {}).items()):
        required = set(schema.get("required") or [])
        schemas.append(
            {
                "name": name,
                "description": schema.get("description", ""),
                "summary": describe({key: value for key, value in schema.items() if key != "properties"}),
                "fields": [
                    {
                        "name": field_name,
                        "type": describe(field_schema),
                        "required": field_name in required,
                        "read_only": field_schema.get("readOnly", False),
                        "description": field_schema.get("description", ""),
                    }
                    for field_name, field_schema in (schema.get("properties") or {}).items()
                ],
            }
        )
    descriptions = {tag.get("name"): tag.get("description", "") for tag in document.get("tags") or []}
    return {
        "info": document.get("info", {}),
        "groups": [{"name": name, "description": descriptions.get(name, ""), "operations": ops} for name, ops in groups.items()],
        "schemas": schemas,
        "unavailable": document.get("x-unavailable") or [],
    }


def install(app: Flask, merged: MergedDocument) -> None:
    """/openapi.json (the merged document) and /docs (it, readable, rendered here: nothing from a CDN)."""

    @app.get("/openapi.json")
    @public
    def openapi_json():
        return jsonify(merged.get())

    @app.get("/docs")
    @public
    def docs():
        response = current_app.make_response(render_template("docs.html", **docs_view_model(merged.get())))
        response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        return response
