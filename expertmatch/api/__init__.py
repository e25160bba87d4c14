"""The JSON API for the network's other platforms, ``/api/v1``.

apiflask generates the OpenAPI document from the schemas on the views
(``/api/v1/openapi.json``, browsable at ``/api/v1/docs`` with assets served from the
``swagger-ui-bundle`` package, so it works offline). Every request is authenticated by a
platform key or personal token, audited (credential, route, status) and rate limited per
credential; errors are RFC 9457 problems in the reader's language.
"""

from __future__ import annotations

import math
import time
from typing import Any

import flask_babel
from apiflask import APIBlueprint
from apiflask.exceptions import HTTPError
from flask import Flask, current_app, g, request
from werkzeug.exceptions import HTTPException

from expertmatch.api import core
from expertmatch.extensions import limiter
from expertmatch.services import credentials

bp = APIBlueprint("api", __name__, url_prefix="/api/v1")
PUBLIC_ENDPOINTS = {"api.openapi", "api.docs", "api.docs_asset"}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; errors lists field-level messages.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
COMMON_ERRORS = {
    "400": "Malformed request (e.g. invalid JSON, page_token or Idempotency-Key)",
    "401": "No valid, unrevoked key",
    "403": "The key lacks the scope, or its principal the role",
    "404": "Not found, or not visible to this key",
    "422": "Invalid fields, with a message for each",
    "429": "Rate limit for this key reached; see Retry-After",
}


def retry_after() -> str:
    current = limiter.current_limit
    if current is None:
        return "60"
    return str(max(1, math.ceil(current.reset_at - time.time())))


def _problem_from(error: Exception):  # type: ignore[no-untyped-def]
    if isinstance(error, core.Problem):
        return core.problem_response(error.status, error.detail, errors=error.errors,
                                     headers=error.headers, title=error.title)
    if isinstance(error, HTTPError):
        status = error.status_code
        errors = None
        if isinstance(error.detail, dict):  # {location: {field: [messages]}}
            errors = [e for by_field in error.detail.values()
                      for e in core.field_errors(by_field)]
        if status == 422 or errors:
            return core.problem_response(422 if status in (400, 422) else status, None,
                                         errors=errors, headers=error.headers)
        return core.problem_response(status, None, headers=error.headers)
    if isinstance(error, HTTPException):
        headers: dict[str, str] = {}
        if error.code == 429:
            headers["Retry-After"] = retry_after()
        if error.code == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="expertmatch"'
        return core.problem_response(error.code or 500, None, headers=headers)
    current_app.logger.exception("Unhandled API error on %s", request.path)
    return core.problem_response(500)


@bp.before_request
def _authenticate() -> None:
    flask_babel.refresh()  # the language is this request's Accept-Language, never a cached one
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    core.authenticate()


@bp.url_value_preprocessor
def _ids_in_range(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Ids beyond the databases' integer columns exist nowhere: 404, not an overflow."""
    for value in (values or {}).values():
        if isinstance(value, int) and not 0 < value <= 2**31 - 1:
            raise core.Problem(404)


@bp.teardown_request
def _forget_principal(_error: BaseException | None) -> None:
    g.pop("_login_user", None)
    g.pop("api_credential", None)


@bp.after_request
def _finish(response):  # type: ignore[no-untyped-def]
    if request.method == "GET" and response.status_code == 200 and not response.is_streamed:
        response.add_etag()
        response.make_conditional(request)
    # Token responses may hold case data: revalidate every time, never in shared caches.
    response.headers.setdefault("Cache-Control", "private, no-cache")
    response.vary.update(("Authorization", "Accept-Language"))
    credential_id = g.pop("api_credential_id", None)
    if credential_id is not None:
        rule = request.url_rule.rule if request.url_rule is not None else request.path
        credentials.log_request(credential_id, request.method, rule, response.status_code)
    return response


for _error in (core.Problem, HTTPError, HTTPException, Exception):
    bp.register_error_handler(_error, _problem_from)
# Per credential (the bucket is the presented key), counted before authentication.
limiter.limit(core.rate_limit_value, key_func=core.rate_limit_key,
              exempt_when=lambda: request.endpoint in PUBLIC_ENDPOINTS)(bp)


def handles_api(path: str) -> bool:
    """The app's error pages answer problem+json under /api/ (unmatched routes, 405)."""
    return path == "/api" or path.startswith("/api/")


def api_error(error: Exception):  # type: ignore[no-untyped-def]
    return _problem_from(error)


def _document(spec: dict[str, Any]) -> dict[str, Any]:
    """Add what the views share to the generated document: the bearer scheme, the problem
    responses (as application/problem+json), each operation's scope, ETags and 304."""
    components = spec.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    components.setdefault("securitySchemes", {})["bearerAuth"] = {
        "type": "http", "scheme": "bearer",
        "description": "A platform key or personal token: `Authorization: Bearer <key>`.",
    }
    scopes = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        view = current_app.view_functions[rule.endpoint]
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<int:{argument}>", "{" + argument + "}")
        scopes[path] = getattr(view, "_required_scope", None), getattr(view, "_idempotent", False)
    for path, operations in spec.get("paths", {}).items():
        scope, _ = scopes.get(path, (None, False))
        for method, operation in operations.items():
            if method not in ("get", "post", "patch", "put", "delete"):
                continue
            operation["security"] = [{"bearerAuth": []}]
            if scope:
                operation["x-required-scope"] = scope
                note = f"Requires the `{scope}` scope."
                operation["description"] = (operation.get("description", "") + "\n\n" + note
                                            ).strip()
            responses = operation.setdefault("responses", {})
            for code, text in COMMON_ERRORS.items():
                responses.setdefault(code, {"description": text})
            if method == "get":
                responses.setdefault("304", {"description": "Not modified (If-None-Match)"})
                for code in ("200",):
                    if code in responses:
                        responses[code].setdefault("headers", {})["ETag"] = {
                            "schema": {"type": "string"},
                            "description": "Send it back as If-None-Match to revalidate."}
            responses["429"]["headers"] = {"Retry-After": {
                "schema": {"type": "integer"}, "description": "Seconds to wait."}}
            for code, response in responses.items():
                if code.isdigit() and int(code) >= 400:
                    response["content"] = {"application/problem+json": {"schema": PROBLEM_REF}}
    # apiflask's own validation/HTTP error schemas are replaced by Problem.
    for name in ("ValidationError", "HTTPError"):
        components.get("schemas", {}).pop(name, None)
    return spec


def init_app(app: Flask) -> None:
    """Register the blueprint, its error handling, rate limit and document."""
    from expertmatch.api import docs, routes  # noqa: F401  (the views)
    from expertmatch.extensions import csrf

    app.config.setdefault("API_RATE_LIMIT", "300 per minute")
    # 3.0.3: what the bundled Swagger UI (and most platforms' client generators) read.
    app.config["OPENAPI_VERSION"] = "3.0.3"
    csrf.exempt(bp)  # keys, not cookies: nothing a browser sends on its own authenticates
    app.register_blueprint(bp)
    app.error_processor(_problem_from)  # type: ignore[attr-defined]
    app.spec_processor(_document)  # type: ignore[attr-defined]
