"""The OpenAPI document and its browsable docs page, with no CDN: the Swagger UI assets come
from the ``swagger-ui-bundle`` package, so the page works on machines without internet."""

from __future__ import annotations

import json

from flask import abort, current_app, render_template, request, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from expertmatch.api import bp

ASSETS = {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
          "favicon-32x32.png"}
# Swagger UI sets inline styles on its own elements; scripts stay same-origin only.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


@bp.get("/openapi.json")
@bp.doc(hide=True)
def openapi():  # type: ignore[no-untyped-def]
    """The OpenAPI 3 document, generated from the views' schemas (cached by apiflask)."""
    body = json.dumps(current_app.spec, ensure_ascii=False, sort_keys=True)  # type: ignore[attr-defined]
    return current_app.response_class(body, mimetype="application/json")


@bp.get("/docs")
@bp.doc(hide=True)
def docs():  # type: ignore[no-untyped-def]
    response = current_app.make_response(render_template("api/docs.html"))
    response.headers["Content-Security-Policy"] = DOCS_POLICY
    return response


@bp.get("/docs/assets/<string:name>")
@bp.doc(hide=True)
def docs_asset(name: str):  # type: ignore[no-untyped-def]
    if name == "init.js":
        response = current_app.response_class(
            render_template("api/docs_init.js"), mimetype="text/javascript")
        return response
    if name not in ASSETS:
        abort(404)
    return send_from_directory(str(swagger_ui_path), name, max_age=86400,
                               conditional=True, etag=True) if request else abort(404)
