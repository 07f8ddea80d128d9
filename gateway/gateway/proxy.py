"""Forwarding `/api/v1/<resource>/...` to the owning service with the caller's own token."""
from __future__ import annotations

from urllib.parse import quote

import requests
from flask import Flask, Response, current_app, request

from crm_shared import context
from crm_shared.auth import current_identity, public
from crm_shared.errors import DEFAULT_CODES, APIError, error_response
from crm_shared.web import CORRELATION_HEADER
from gateway.routes import LARGE_UPLOADS, PUBLIC_RESOURCES, PUBLIC_WRITE_PATHS, ROUTES
from gateway.upstream import Upstream

FORWARDED_REQUEST_HEADERS = ("Authorization", "Content-Type", "Accept", "If-Match", "If-None-Match")
FORWARDED_RESPONSE_HEADERS = (
    "Content-Type", "ETag", "Location", "Retry-After", "Cache-Control", "Last-Modified",
    # Downloads keep their file name, are never sniffed into pages, and tracked links leak no referrer.
    "Content-Disposition", "X-Content-Type-Options", "Referrer-Policy",
)
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
# The client's address as the gateway saw it, for the rate limits of public endpoints. Set, never passed on from
# the caller: a client cannot pick the address it is counted under.
CLIENT_ADDRESS_HEADER = "X-Forwarded-For"
# Characters that may stay as they are in a path segment; everything else is percent-encoded again.
PATH_SAFE = "/:@!$&'()*+,;=-._~"


def forwarded_headers() -> dict[str, str]:
    """The caller's headers the services need, and the correlation id of this request."""
    headers = {name: request.headers[name] for name in FORWARDED_REQUEST_HEADERS if name in request.headers}
    headers[CORRELATION_HEADER] = context.current().correlation_id or context.new_correlation_id()
    return headers


def relay(service: str, upstream_response: requests.Response) -> Response:
    """The service's answer as the gateway's own; a non-JSON error becomes the one error shape."""
    content_type = upstream_response.headers.get("Content-Type", "")
    if upstream_response.status_code >= 400 and "json" not in content_type:
        status = upstream_response.status_code
        return error_response(
            status, DEFAULT_CODES.get(status, "error"), f"The {service} service answered with HTTP {status}."
        )
    response = Response(upstream_response.content, status=upstream_response.status_code)
    for name in FORWARDED_RESPONSE_HEADERS:
        if name in upstream_response.headers:
            response.headers[name] = upstream_response.headers[name]
    return response


def forward(resource: str, rest: str = "") -> Response:
    """Forward this request to the service that owns `resource`."""
    if ROUTES.get(resource) is None:
        raise APIError(404, "not_found", f"There is no API resource named {resource!r}.")
    current_identity()  # the token was verified before this view; the service verifies it again
    return _forward(resource, rest)


@public
def forward_public(resource: str, rest: str = "") -> Response:
    """Forward a read of a public resource (PUBLIC_RESOURCES) with or without a token."""
    return _forward(resource, rest, public=True)


@public
def forward_public_write(public_path: str, rest: str = "") -> Response:
    """Forward a request below a public write path (PUBLIC_WRITE_PATHS) with or without a token."""
    resource, _, below = public_path.partition("/")
    return _forward(resource, below + (f"/{rest}" if rest else ""), public=True)


def _forward(resource: str, rest: str, public: bool = False) -> Response:
    service = ROUTES[resource]
    path = quote(f"/api/v1/{resource}" + (f"/{rest}" if rest else ""), safe=PATH_SAFE)
    large_upload_cap = LARGE_UPLOADS.get((request.method, request.path))
    if large_upload_cap is not None:
        # Set before the body is read, so the larger cap is what the read enforces.
        request.max_content_length = large_upload_cap
    upstream: Upstream = current_app.extensions["crm.upstream"]
    headers = forwarded_headers()
    if public:
        headers[CLIENT_ADDRESS_HEADER] = request.remote_addr or "unknown"
    answer = upstream.request(
        service,
        request.method,
        path,
        headers=headers,
        query=request.query_string,
        body=request.get_data() or None,
    )
    return relay(service, answer)


def install(app: Flask) -> None:
    """The catch-all API routes; the gateway's own endpoints are more specific and win."""
    app.add_url_rule("/api/v1/<resource>", "proxy", forward, methods=METHODS)
    app.add_url_rule("/api/v1/<resource>/<path:rest>", "proxy_path", forward, methods=METHODS)
    # Only GETs below a public resource skip the token (its more specific rule wins); anything else,
    # and the resource's own root, still goes through `forward` and needs one.
    for resource in sorted(PUBLIC_RESOURCES):
        app.add_url_rule(f"/api/v1/{resource}/<path:rest>", f"proxy_public_{resource}", forward_public,
                         defaults={"resource": resource}, methods=["GET"])
    # The public request form: sending a request (POST on the path itself), reading, answering and rating it.
    for public_path in sorted(PUBLIC_WRITE_PATHS):
        endpoint = "proxy_public_write_" + public_path.replace("/", "_")
        app.add_url_rule(f"/api/v1/{public_path}", endpoint, forward_public_write,
                         defaults={"public_path": public_path}, methods=["POST"])
        app.add_url_rule(f"/api/v1/{public_path}/<path:rest>", f"{endpoint}_below", forward_public_write,
                         defaults={"public_path": public_path}, methods=["GET", "POST", "PUT"])
