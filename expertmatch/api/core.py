"""What every API request shares: the credential, scopes, problems, pages, ETags, retries.

Token requests never use cookies: the principal comes from the ``Authorization: Bearer``
header alone, and Flask-Login's ``current_user`` is set to it for the request only (so the
services and access helpers see the same user they see on the web pages), without a session.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from apiflask.exceptions import HTTPError
from flask import current_app, g, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from expertmatch.extensions import db
from expertmatch.models import ApiCredential, IdempotencyRecord, User
from expertmatch.services import credentials

PROBLEM_TYPE = "application/problem+json"
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50

TITLES: dict[int, Any] = {
    400: _l("Bad request"),
    401: _l("Not authenticated"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    412: _l("Precondition failed"),
    413: _l("Too large"),
    415: _l("Unsupported media type"),
    422: _l("The request has invalid fields"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
}
DETAILS: dict[int, Any] = {
    401: _l("Send a valid, unrevoked key as “Authorization: Bearer <key>”."),
    403: _l("This key may not do this."),
    404: _l("This resource does not exist, or this key has no access to it."),
    405: _l("This method is not available on this resource."),
    429: _l("Too many requests for this key. Wait and try again."),
    500: _l("Something went wrong on our side. Nothing was saved; please try again."),
}
# Marshmallow's messages, said in the reader's language (the API answers zh or en).
FIELD_MESSAGES: dict[str, Any] = {
    "Missing data for required field.": _l("This field is required."),
    "Field may not be null.": _l("This field may not be empty."),
    "Unknown field.": _l("This field is not part of the request."),
    "Not a valid string.": _l("Enter text."),
    "Not a valid integer.": _l("Enter a whole number."),
    "Not a valid number.": _l("Enter a number."),
    "Not a valid boolean.": _l("Enter true or false."),
    "Not a valid date.": _l("Enter a date as YYYY-MM-DD."),
    "Not a valid list.": _l("Enter a list."),
    "Invalid input type.": _l("This value has the wrong type."),
    "Invalid value.": _l("This value is not valid."),
}


class Problem(Exception):
    """An RFC 9457 problem: raised anywhere in an API request, answered as problem+json."""

    def __init__(self, status: int, detail: Any = None, *, errors: list[dict] | None = None,
                 headers: dict[str, str] | None = None, title: Any = None) -> None:
        super().__init__(str(detail or ""))
        self.status = status
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}
        self.title = title


def problem_response(status: int, detail: Any = None, *, errors: list[dict] | None = None,
                     headers: dict[str, str] | None = None, title: Any = None):  # type: ignore[no-untyped-def]
    db.session.rollback()
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": str(title or TITLES.get(status, TITLES[400])),
        "status": status,
        "detail": str(detail or DETAILS.get(status, title or TITLES.get(status, TITLES[400]))),
        "instance": request.path,
    }
    if errors:
        body["errors"] = errors
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_TYPE
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.headers["Content-Language"] = _current_language()
    return response


def _current_language() -> str:
    from expertmatch import i18n

    return i18n.current_locale()


def translate_field_message(message: str) -> str:
    if message in FIELD_MESSAGES:
        return str(FIELD_MESSAGES[message])
    if message.startswith(("Must be one of", "Must be ")):
        return _("Choose one of the listed options.")
    if message.startswith(("Longer than", "Shorter than", "Length must be")):
        return _("This value is too long or too short.")
    if message.startswith(("Must be greater", "Must be less")):
        return _("This number is out of range.")
    return _("This value is not valid.")


def field_errors(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """Marshmallow's nested ``{field: [messages]}`` as a flat list of field-level errors."""
    found: list[dict[str, str]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            found.extend(field_errors(value, name))
    elif isinstance(detail, list | tuple):
        for item in detail:
            if isinstance(item, str):
                found.append({"field": prefix, "message": translate_field_message(item)})
            else:
                found.extend(field_errors(item, prefix))
    elif detail:
        found.append({"field": prefix, "message": translate_field_message(str(detail))})
    return found


def service_errors(problems: dict[str, list[str]]) -> list[dict[str, str]]:
    """A service's ``{form field: [messages]}`` (already translated) for the API's fields:
    ``counterparties-0-name_en`` becomes ``counterparties.0.name_en``; "" the whole request."""
    return [
        {"field": name.replace("-", "."), "message": message}
        for name, messages in problems.items()
        for message in messages
    ]


# ---------------------------------------------------------------------------------------------
# Credentials and scopes


def bearer_secret() -> str | None:
    scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip() or None


def rate_limit_key() -> str:
    """Flask-Limiter's bucket: the presented key (hashed), else the address."""
    secret = bearer_secret()
    if secret:
        return "api-key:" + credentials.hash_secret(secret)[:32]
    return "api-addr:" + (request.remote_addr or "")


def rate_limit_value() -> str:
    return current_app.config["API_RATE_LIMIT"]


def authenticate() -> None:
    secret = bearer_secret()
    credential = credentials.authenticate(secret) if secret else None
    user = credentials.principal_of(credential) if credential is not None else None
    if credential is None or user is None:
        raise Problem(401, headers={"WWW-Authenticate": 'Bearer realm="expertmatch"'})
    g.api_credential_id = credential.id
    g.api_credential = credential
    g._login_user = user  # current_user for this request only; no session is touched


def credential() -> ApiCredential:
    return g.api_credential


def principal() -> User:
    return g._login_user


def requires(scope: str) -> Callable:
    """The view needs ``scope`` on the presented credential (403 otherwise); the scope is
    also written into the OpenAPI document (``x-required-scope``)."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if scope not in (credential().scopes or []):
                raise Problem(403, _("This key lacks the “%(scope)s” permission.", scope=scope))
            return view(*args, **kwargs)

        wrapper._required_scope = scope  # type: ignore[attr-defined]
        return wrapper

    return decorator


def require_role(*roles: str) -> None:
    if principal().role not in roles:
        raise Problem(403)


# ---------------------------------------------------------------------------------------------
# Cursor pagination


def _fingerprint(filters: dict[str, Any]) -> str:
    raw = json.dumps(filters, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


def encode_token(after: int, filters: dict[str, Any]) -> str:
    raw = json.dumps({"a": after, "f": _fingerprint(filters)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_token(token: str | None, filters: dict[str, Any]) -> int:
    """The id after which the page starts; a token of another listing is refused."""
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        after = int(data["a"])
        fingerprint = str(data["f"])
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        after, fingerprint = -1, ""
    if after < 0 or fingerprint != _fingerprint(filters):
        raise Problem(400, _("This page_token is not valid for this listing; start again "
                             "without it."), errors=[{"field": "page_token",
                                                      "message": _("This value is not valid.")}])
    return after


def paginate(query: Select, id_column: Any, page_size: int | None, page_token: str | None,
             filters: dict[str, Any]) -> tuple[list[Any], str | None]:
    """Keyset pagination on the id (a stable order): each page reads ``page_size + 1`` rows
    after the last id of the previous page, so a listing stays complete and free of
    duplicates while rows are inserted, and a page never loads the whole table."""
    size = min(max(page_size or DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE)
    after = decode_token(page_token, filters)
    rows = list(db.session.scalars(
        query.where(id_column > after).order_by(id_column).limit(size + 1)
    ))
    next_token = encode_token(rows[size - 1].id, filters) if len(rows) > size else None
    return rows[:size], next_token


# ---------------------------------------------------------------------------------------------
# Idempotency-Key on POSTs


def _request_hash() -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.path.encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _replay(record: IdempotencyRecord):  # type: ignore[no-untyped-def]
    response = current_app.response_class(
        record.body or "", status=record.status, mimetype=record.content_type or "application/json"
    )
    if record.location:
        response.headers["Location"] = record.location
    response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotent(view: Callable) -> Callable:
    """A POST with an ``Idempotency-Key`` runs once per credential and key: a retry gets the
    first response (never a second case); the same key with another body is refused; a retry
    while the first request still runs gets 409. Server errors are not kept (retry works)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        key = key.strip()
        if not 1 <= len(key) <= 255:
            raise Problem(400, _("The Idempotency-Key must have 1 to 255 characters."),
                          errors=[{"field": "Idempotency-Key",
                                   "message": _("This value is not valid.")}])
        fingerprint = _request_hash()
        record = IdempotencyRecord(credential_id=credential().id, key=key,
                                   request_hash=fingerprint)
        db.session.add(record)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            first = db.session.scalar(db.select(IdempotencyRecord).where(
                IdempotencyRecord.credential_id == credential().id,
                IdempotencyRecord.key == key,
            ))
            if first is None:  # removed in between: let the client retry
                raise Problem(409, _("A request with this Idempotency-Key is still being "
                                     "processed. Retry in a moment.")) from None
            if first.request_hash != fingerprint:
                raise Problem(422, _("This Idempotency-Key was already used for a different "
                                     "request.")) from None
            if first.status == 0:
                raise Problem(409, _("A request with this Idempotency-Key is still being "
                                     "processed. Retry in a moment.")) from None
            return _replay(first)
        record_id = record.id
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except Problem as error:
            response = problem_response(error.status, error.detail, errors=error.errors,
                                        headers=error.headers, title=error.title)
        except HTTPException as error:
            response = problem_response(error.code or 500)
        except HTTPError as error:
            response = current_app.make_response(current_app.error_callback(error))  # type: ignore[attr-defined]
        except Exception:
            db.session.rollback()
            db.session.execute(db.delete(IdempotencyRecord).where(
                IdempotencyRecord.id == record_id))
            db.session.commit()
            raise
        stored = db.session.get(IdempotencyRecord, record_id)
        if response.status_code >= 500 or response.status_code == 429:
            db.session.delete(stored)
        else:
            stored.status = response.status_code
            stored.body = response.get_data(as_text=True)
            stored.content_type = response.mimetype
            stored.location = response.headers.get("Location")
        db.session.commit()
        return response

    wrapper._idempotent = True  # type: ignore[attr-defined]
    return wrapper
