"""The one JSON error shape every service and the gateway answer with: {code, status, message, errors}."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, has_request_context, jsonify, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# A stable, machine-readable code for each HTTP status we raise without a more specific one.
DEFAULT_CODES = {
    400: "malformed_request",
    401: "authentication_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    428: "precondition_required",
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


class APIError(Exception):
    """An error a person can act on: HTTP status, stable code, message, and per-field details."""

    def __init__(self, status: int, code: str, message: str, errors: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors or {}
        # Headers the answer needs beside the body, such as Retry-After on a 429.
        self.headers = headers or {}


class NotFound(APIError):
    def __init__(self, what: str, identifier: Any):
        super().__init__(404, "not_found", f"No {what} with id {identifier}.")


class Forbidden(APIError):
    def __init__(self, message: str = "You are not allowed to do this.", code: str = "forbidden"):
        super().__init__(403, code, message)


class Conflict(APIError):
    def __init__(self, code: str, message: str):
        super().__init__(409, code, message)


def body(status: int, code: str, message: str, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "status": status, "message": message, "errors": errors or {}}


def error_response(status: int, code: str, message: str, errors: dict[str, Any] | None = None):
    response = jsonify(body(status, code, message, errors))
    response.status_code = status
    return response


def _field_errors(messages: Any) -> dict[str, Any]:
    """webargs groups errors by location ({"json": {...}, "query": {...}}); callers care about fields."""
    if not isinstance(messages, dict):
        return {}
    fields: dict[str, Any] = {}
    for location, errors in messages.items():
        if isinstance(errors, dict):
            fields.update(errors)
        else:
            fields[location] = errors
    return fields


def _summary(status: int, fields: dict[str, Any], fallback: str) -> str:
    if status == 422 and fields:
        parts = []
        for name, problems in fields.items():
            text = problems[0] if isinstance(problems, list) and problems else problems
            if isinstance(text, dict):
                text = "invalid value"
            parts.append(f"{name}: {text}")
        return "Some fields are not valid. " + "; ".join(parts)
    return fallback


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def handle_http_exception(error: HTTPException):
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    fields = _field_errors(data.get("messages"))
    if status == 400 and "json" in (data.get("messages") or {}):
        message = "The request body is not valid JSON."
    elif status == 413 and has_request_context() and request.max_content_length:
        message = f"The request is larger than the {_megabytes(request.max_content_length)} accepted here."
    else:
        message = _summary(status, fields, data.get("message") or error.description or error.name)
    response = error_response(status, DEFAULT_CODES.get(status, "error"), message, fields)
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    return response


def handle_api_error(error: APIError):
    response = error_response(error.status, error.code, error.message, error.errors)
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def handle_unexpected(error: Exception):
    log.exception("unhandled error")
    return error_response(500, "internal_error", "Something went wrong on our side; it has been logged.")


def register(app: Flask) -> None:
    """Make every error leave the app in the one shape."""
    app.register_error_handler(APIError, handle_api_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
