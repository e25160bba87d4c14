"""Bulk import of experts from a CSV file: parse and validate, preview, then write all at once.

The coordinator sees every problem before anything is written: :func:`parse_experts_csv` turns
the uploaded bytes into a :class:`ImportPreview` (per-row, per-column problems and the rows that
are ready) and writes nothing. The uploaded file is kept server-side between the preview and the
confirmation (:func:`stash_upload` / :func:`claim_upload`), behind a signed ticket bound to the
user; the confirmation parses and validates it again, because the database may have changed in
between, and :func:`import_experts` writes every valid row in one transaction or none.

Nothing in here trusts the file: any bytes give either a file-level problem or per-row problems,
never an exception (hostile input is part of the contract, see tests/test_pool.py).
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import os
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pycountry
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select

from expertmatch import vocabulary
from expertmatch.extensions import db
from expertmatch.matching.documents import detect_language
from expertmatch.models import ExpertProfile, User
from expertmatch.services import audit

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 64 * 1024 * 1024  # the ceiling; IMPORT_MAX_BYTES sets the limit
TICKET_MAX_AGE = 3600  # seconds a preview stays confirmable
STALE_UPLOAD_SECONDS = 24 * 3600
MAX_BIO_CHARS = 20_000
MAX_CODES_PER_CELL = 60
_SHOWN_VALUE_CHARS = 40
_EMAIL_CHUNK = 500

AUDIT_ACTION = "experts.imported"


class ImportRefused(ValueError):
    """The import could not happen; the message is for the user."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Column:
    """One documented CSV column (shown on the import page and in the example file)."""

    name: str
    description: Any
    example: str
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("name", _l("Full name as clients should see it (at most 160 characters)."),
           "Dr. Katrin Albers", required=True),
    Column("email", _l("Email address for the invitation; unique in the pool."),
           "k.albers@albers-ip.example.com"),
    Column("role_type", _l("One of: lawyer, patent_attorney, technical_expert, economist, "
                           "mediator. Empty means lawyer."), "lawyer"),
    Column("headline", _l("One line about the expert (at most 200 characters)."),
           "SEP litigator, Munich and UPC"),
    Column("bio", _l("Biography in Chinese or English (at most 20,000 characters)."),
           "Represents implementers in LTE and 5G injunction proceedings."),
    Column("firm", _l("Firm or institution (at most 200 characters)."), "Albers Rechtsanwälte"),
    Column("jurisdictions", _l("Country codes (ISO 3166, e.g. DE, US) or forums (EPO, EUIPO, "
                               "UPC, WIPO, USITC, EU), separated by semicolons."), "DE;UPC;EPO"),
    Column("languages", _l("Language codes (ISO 639-1, e.g. zh, en, de), separated by "
                           "semicolons."), "de;en"),
    Column("dispute_types", _l("Codes separated by semicolons: sep_frand, patent_infringement, "
                               "trade_secret, trademark, ecommerce, itc337, customs, copyright, "
                               "licensing_arbitration."), "sep_frand;patent_infringement"),
    Column("industries", _l("Codes separated by semicolons: automotive, photovoltaics, telecom, "
                            "semiconductors, consumer_goods, pharma, machinery, software_ai, "
                            "batteries, medical_devices, chemicals, home_appliances."),
           "telecom;automotive"),
    Column("years_experience", _l("Whole number of years in practice, 0 to 80."), "18"),
    Column("capacity", _l("Maximum concurrent cases, 1 to 50. Empty means 3."), "4"),
    Column("location_country", _l("Country where the expert sits (ISO 3166 code)."), "DE"),
    Column("rapid_response", _l("Able to act within 48 hours: yes or no. Empty means no."), "yes"),
)
COLUMN_NAMES = tuple(c.name for c in COLUMNS)
_HEADER_ALIASES = {"full_name": "name", "years": "years_experience", "country": "location_country"}

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_INLINE = re.compile(r"[\x00-\x1f\x7f]")
_CODE_SPLIT = re.compile(r"[;,；，、|]")
_YES = {"yes", "y", "true", "1", "x", "是", "是的"}
_NO = {"no", "n", "false", "0", "", "否", "不"}


@dataclass(frozen=True)
class CellProblem:
    """What is wrong with one cell; ``column`` is None for a problem with the whole row."""

    column: str | None
    message: Any


@dataclass
class ExpertRow:
    """A row read from the file: its cells, its problems, and the profile values when valid."""

    line: int
    cells: dict[str, str]
    problems: list[CellProblem] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def display_name(self) -> str:
        return _shorten(self.cells.get("name", ""), 80)

    def problem(self, column: str | None, message: Any) -> None:
        self.problems.append(CellProblem(column, message))


@dataclass
class ImportPreview:
    """Everything the preview page shows; ``file_problems`` block the whole import."""

    rows: list[ExpertRow] = field(default_factory=list)
    file_problems: list[Any] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    sha256: str = ""

    @property
    def valid_rows(self) -> list[ExpertRow]:
        return [] if self.file_problems else [r for r in self.rows if r.valid]

    @property
    def invalid_rows(self) -> list[ExpertRow]:
        return [r for r in self.rows if not r.valid]

    @property
    def fingerprint(self) -> str:
        """Which rows would be imported: the confirmation must see the same set."""
        lines = ",".join(str(r.line) for r in self.valid_rows)
        return hashlib.sha256(f"{self.sha256}|{lines}".encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# Parsing and validation (no writes).


def _shorten(value: str, limit: int = _SHOWN_VALUE_CHARS) -> str:
    """A value quoted back to the user, cut short and with control characters made visible."""
    value = _CONTROL_INLINE.sub("\N{REPLACEMENT CHARACTER}", value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def too_large_message(max_bytes: int) -> Any:
    return _l("The file is larger than %(size)d MB. Split it into smaller files.",
              size=max(1, max_bytes // (1024 * 1024)))


def _decode(data: bytes, preview: ImportPreview) -> str | None:
    """UTF-8 with or without a byte-order mark; anything else is refused with the position."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        preview.file_problems.append(
            _l("The file is not UTF-8 text (first bad byte on line %(line)d). Save it as "
               "“CSV UTF-8” and upload it again.", line=line)
        )
        return None


def _delimiter(text: str) -> str:
    """Comma, unless the header line clearly uses semicolons or tabs (a common Excel export)."""
    header = text.split("\n", 1)[0]
    if "," in header:
        return ","
    if "\t" in header:
        return "\t"
    if ";" in header:
        return ";"
    return ","


def _read_header(cells: list[str], preview: ImportPreview) -> list[str | None] | None:
    """Column names in file order; None for ignored columns. None when the header is unusable."""
    names: list[str | None] = []
    seen: set[str] = set()
    for raw in cells:
        key = re.sub(r"\s+", "_", raw.strip().lower().lstrip("\ufeff"))
        key = _HEADER_ALIASES.get(key, key)
        if key in COLUMN_NAMES:
            if key in seen:
                preview.file_problems.append(
                    _l("The column “%(name)s” appears twice in the header.", name=key)
                )
                return None
            seen.add(key)
            names.append(key)
        else:
            if raw.strip():
                preview.ignored_columns.append(_shorten(raw.strip()))
            names.append(None)
    if "name" not in seen:
        preview.file_problems.append(
            _l("The first line must name the columns and include “name”. Expected columns: "
               "%(columns)s.", columns=", ".join(COLUMN_NAMES))
        )
        return None
    return names


def _records(text: str, delimiter: str) -> Iterable[tuple[int, list[str] | None, str | None]]:
    """(first line, cells or None, csv error) for each record; a broken record does not stop
    the ones after it."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    previous_end = 0
    while True:
        start = previous_end + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            previous_end = reader.line_num
            yield start, None, str(error)
            continue
        previous_end = reader.line_num
        yield start, cells, None


def _text(row: ExpertRow, column: str, max_len: int, *, multiline: bool = False) -> str:
    value = row.cells.get(column, "").strip()
    pattern = _CONTROL if multiline else _CONTROL_INLINE
    if pattern.search(value):
        row.problem(column, _l("Contains control characters (such as NUL) that are not "
                               "allowed."))
    elif len(value) > max_len:
        row.problem(column, _l("Too long: %(n)d characters, at most %(max)d.", n=len(value),
                               max=max_len))
    return value


def _is_jurisdiction(code: str) -> bool:
    if code in vocabulary.FORUMS:
        return True
    return len(code) == 2 and code.isascii() and pycountry.countries.get(alpha_2=code) is not None


def _is_country(code: str) -> bool:
    return len(code) == 2 and code.isascii() and pycountry.countries.get(alpha_2=code) is not None


def _is_language(code: str) -> bool:
    return len(code) == 2 and code.isascii() and pycountry.languages.get(alpha_2=code) is not None


_CODE_CHECKS: dict[str, tuple[Callable[[str], bool], Callable[[str], str]]] = {
    "jurisdictions": (_is_jurisdiction, str.upper),
    "languages": (_is_language, str.lower),
    "dispute_types": (vocabulary.DISPUTE_TYPES.__contains__, str.lower),
    "industries": (vocabulary.INDUSTRIES.__contains__, str.lower),
}


def _codes(row: ExpertRow, column: str) -> list[str]:
    """Codes separated by semicolons; every unknown one is named back to the user."""
    check, normalise = _CODE_CHECKS[column]
    raw = row.cells.get(column, "")
    items = [item.strip() for item in _CODE_SPLIT.split(raw) if item.strip()]
    if len(items) > MAX_CODES_PER_CELL:
        row.problem(column, _l("Too many codes: %(n)d, at most %(max)d.", n=len(items),
                               max=MAX_CODES_PER_CELL))
        return []
    codes: list[str] = []
    for item in items:
        code = normalise(item)
        if not item.isascii() or not check(code):  # "ß".upper() is "SS": codes are ASCII
            row.problem(column, _unknown(column, item))
        elif code not in codes:
            codes.append(code)
    return codes


def _unknown(column: str, item: str) -> Any:
    """The “unknown code” message of a column, naming the offending value."""
    shown = _shorten(item)
    if column == "jurisdictions":
        return _l("Unknown jurisdiction code “%(value)s”.", value=shown)
    if column == "languages":
        return _l("Unknown language code “%(value)s”.", value=shown)
    if column == "dispute_types":
        return _l("Unknown dispute type “%(value)s”.", value=shown)
    return _l("Unknown industry “%(value)s”.", value=shown)


def _integer(row: ExpertRow, column: str, low: int, high: int, default: int | None) -> int | None:
    raw = row.cells.get(column, "").strip()
    if not raw:
        return default
    if len(raw) > 12 or not re.fullmatch(r"[+-]?\d+", raw):
        row.problem(column, _l("“%(value)s” is not a whole number.", value=_shorten(raw)))
        return default
    number = int(raw)
    if not low <= number <= high:
        row.problem(column, _l("%(value)d is out of range: use %(low)d to %(high)d.",
                               value=number, low=low, high=high))
        return default
    return number


def _yes_no(row: ExpertRow, column: str) -> bool:
    raw = row.cells.get(column, "").strip().lower()
    if raw in _YES:
        return True
    if raw not in _NO:
        row.problem(column, _l("“%(value)s” is not yes or no.", value=_shorten(raw)))
    return False


def _email(row: ExpertRow) -> str | None:
    raw = row.cells.get("email", "").strip()
    if not raw:
        return None
    if len(raw) > 254 or _CONTROL_INLINE.search(raw):
        row.problem("email", _l("“%(value)s” is not a valid email address.", value=_shorten(raw)))
        return None
    try:
        validate_email(raw, check_deliverability=False)
    except EmailNotValidError:
        row.problem("email", _l("“%(value)s” is not a valid email address.", value=_shorten(raw)))
        return None
    return raw.lower()


def _validate_row(row: ExpertRow) -> None:
    """Fill ``row.values`` and ``row.problems`` from its cells."""
    name = _text(row, "name", 160)
    if not name:
        row.problem("name", _l("The name is missing."))
    role_type = row.cells.get("role_type", "").strip().lower() or "lawyer"
    if not role_type.isascii() or role_type not in vocabulary.EXPERT_ROLE_TYPES:
        row.problem("role_type", _l("Unknown role type “%(value)s”.", value=_shorten(role_type)))
    headline = _text(row, "headline", 200)
    bio = _text(row, "bio", MAX_BIO_CHARS, multiline=True)
    firm = _text(row, "firm", 200)
    raw_country = row.cells.get("location_country", "").strip()
    country = raw_country.upper() if raw_country.isascii() else raw_country
    if country and not _is_country(country):
        row.problem("location_country", _l("Unknown country code “%(value)s”.",
                                           value=_shorten(country)))
    row.values = {
        "full_name": name,
        "email": _email(row),
        "role_type": role_type,
        "headline": headline,
        "bio": bio,
        "firm": firm or None,
        "jurisdictions": _codes(row, "jurisdictions"),
        "languages": _codes(row, "languages"),
        "dispute_types": _codes(row, "dispute_types"),
        "industries": _codes(row, "industries"),
        "years_experience": _integer(row, "years_experience", 0, 80, None),
        "capacity": _integer(row, "capacity", 1, 50, 3),
        "location_country": country or None,
        "rapid_response": _yes_no(row, "rapid_response"),
        "profile_language": detect_language(f"{headline} {bio}"),
    }


def _check_emails(rows: list[ExpertRow], existing_emails: Callable[[set[str]], set[str]]) -> None:
    """An email may appear once in the file and must not already be in the pool."""
    first_line: dict[str, int] = {}
    for row in rows:
        email = row.values.get("email")
        if not email:
            continue
        if email in first_line:
            row.problem("email", _l("The same email is on line %(line)d of this file.",
                                    line=first_line[email]))
        else:
            first_line[email] = row.line
    taken = existing_emails(set(first_line)) if first_line else set()
    for row in rows:
        email = row.values.get("email")
        if email in taken and first_line.get(email) == row.line:
            row.problem("email", _l("An expert or account with this email already exists."))


def parse_experts_csv(
    data: bytes,
    *,
    max_rows: int,
    max_bytes: int = 2 * 1024 * 1024,
    existing_emails: Callable[[set[str]], set[str]] = lambda emails: set(),
) -> ImportPreview:
    """Read and validate an uploaded CSV file. Writes nothing; never raises on bad input."""
    preview = ImportPreview(sha256=hashlib.sha256(data).hexdigest())
    if len(data) > max_bytes:
        preview.file_problems.append(too_large_message(max_bytes))
        return preview
    text = _decode(data, preview)
    if text is None:
        return preview
    if not text.strip():
        preview.file_problems.append(_l("The file is empty."))
        return preview
    records = _records(text, _delimiter(text))
    header: list[str | None] | None = None
    for line, cells, error in records:
        if header is None:
            if cells is None:
                preview.file_problems.append(_l("The header line cannot be read: %(error)s",
                                                error=error))
                return preview
            if not any(c.strip() for c in cells):
                continue
            header = _read_header(cells, preview)
            if header is None:
                return preview
            continue
        if cells is not None and not any(c.strip() for c in cells):
            continue  # blank lines are not rows
        if len(preview.rows) >= max_rows:
            preview.file_problems.append(
                _l("The file has more than %(max)d rows. Split it into files of at most "
                   "%(max)d rows.", max=max_rows)
            )
            preview.rows = []
            return preview
        row = ExpertRow(line=line, cells={})
        preview.rows.append(row)
        if cells is None:
            row.problem(None, _l("This row cannot be read (%(error)s). Check its quotes.",
                                 error=_shorten(error or "", 80)))
            continue
        if len(cells) != len(header):
            row.problem(None, _l("Cells in this row: %(n)d; columns in the header: %(m)d. Check "
                                 "for unquoted commas or missing cells.", n=len(cells),
                                 m=len(header)))
            position = header.index("name")
            row.cells = {"name": cells[position]} if len(cells) > position else {}
            continue
        row.cells = {key: value for key, value in zip(header, cells, strict=True) if key}
        _validate_row(row)
    if header is None:
        preview.file_problems.append(_l("The file is empty."))
        return preview
    _check_emails(preview.rows, existing_emails)
    if not preview.rows:
        preview.file_problems.append(_l("The file has a header but no rows."))
    return preview


def emails_in_pool(emails: set[str]) -> set[str]:
    """Which of these (lower-case) emails an expert profile or an account already uses."""
    found: set[str] = set()
    ordered = sorted(emails)
    for start in range(0, len(ordered), _EMAIL_CHUNK):
        chunk = ordered[start: start + _EMAIL_CHUNK]
        found.update(db.session.scalars(
            select(func.lower(ExpertProfile.email)).where(
                func.lower(ExpertProfile.email).in_(chunk), ExpertProfile.deleted_at.is_(None)
            )
        ))
        found.update(db.session.scalars(
            select(func.lower(User.email)).where(func.lower(User.email).in_(chunk))
        ))
    return found


def max_file_bytes() -> int:
    return min(int(current_app.config.get("IMPORT_MAX_BYTES", MAX_FILE_BYTES)), MAX_FILE_BYTES)


def preview_upload(data: bytes) -> ImportPreview:
    """Parse against the live pool with the configured row limit."""
    return parse_experts_csv(
        data, max_rows=int(current_app.config["IMPORT_MAX_ROWS"]), existing_emails=emails_in_pool,
        max_bytes=max_file_bytes(),
    )


# ---------------------------------------------------------------------------------------------
# Keeping the upload between preview and confirmation.


def _upload_dir() -> str:
    path = current_app.config.get("IMPORT_UPLOAD_DIR") or os.path.join(
        current_app.instance_path, "imports"
    )
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="expertmatch.import")


def _remove_stale(directory: str) -> None:
    """Uploads nobody confirmed are deleted after a day."""
    cutoff = time.time() - STALE_UPLOAD_SECONDS
    for entry in os.scandir(directory):
        try:
            if entry.is_file() and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
        except OSError:
            continue


def stash_upload(data: bytes, user: User, preview: ImportPreview, filename: str) -> str:
    """Keep the file for the confirmation; return a signed ticket naming it and its rows.

    The ticket is bound to the user and expires; the file sits in the instance folder (a
    cookie session is too small, a hidden field too large for the form-size limit).
    """
    directory = _upload_dir()
    _remove_stale(directory)
    key = secrets.token_urlsafe(18)
    path = os.path.join(directory, f"{key}.csv")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return _serializer().dumps(
        {"u": user.id, "k": key, "f": preview.fingerprint, "n": filename[:200]}
    )


@dataclass
class Ticket:
    key: str
    fingerprint: str
    filename: str


def read_ticket(ticket: str, user: User) -> Ticket:
    try:
        payload = _serializer().loads(ticket, max_age=TICKET_MAX_AGE)
    except BadSignature:
        raise ImportRefused(_l("This preview has expired. Upload the file again.")) from None
    if not isinstance(payload, dict) or payload.get("u") != user.id:
        raise ImportRefused(_l("This preview has expired. Upload the file again."))
    key = str(payload.get("k", ""))
    if not re.fullmatch(r"[A-Za-z0-9_-]{10,64}", key):
        raise ImportRefused(_l("This preview has expired. Upload the file again."))
    return Ticket(key=key, fingerprint=str(payload.get("f", "")), filename=str(payload.get("n")))


def load_upload(ticket: Ticket) -> bytes:
    path = os.path.join(_upload_dir(), f"{ticket.key}.csv")
    try:
        with open(path, "rb") as handle:
            return handle.read(max_file_bytes() + 1)
    except OSError:
        raise ImportRefused(
            _l("This import was already done or has expired. Upload the file again.")
        ) from None


def claim_upload(ticket: Ticket) -> str:
    """Take the file for this import atomically: a second confirmation (double click, two
    tabs) finds it gone and imports nothing."""
    path = os.path.join(_upload_dir(), f"{ticket.key}.csv")
    claimed = f"{path}.{secrets.token_hex(4)}.claimed"
    try:
        os.rename(path, claimed)
    except OSError:
        raise ImportRefused(
            _l("This import was already done or has expired. Upload the file again.")
        ) from None
    return claimed


def release_upload(claimed: str, ticket: Ticket, *, keep: bool) -> None:
    """After the import: delete the file, or give it back when the write failed."""
    try:
        if keep:
            os.rename(claimed, os.path.join(_upload_dir(), f"{ticket.key}.csv"))
        else:
            os.unlink(claimed)
    except OSError:
        log.warning("could not release import upload %s", claimed)


# ---------------------------------------------------------------------------------------------
# Writing.


@dataclass
class ImportResult:
    event_id: int
    expert_ids: list[int]
    skipped: int


def write_experts(preview: ImportPreview, by: User, filename: str) -> ImportResult:
    """Add every valid row and one audit event to the session (flushed, not committed): the
    import job commits them together with its chunks, all or nothing."""
    rows = preview.valid_rows
    if not rows:
        raise ImportRefused(_l("There are no valid rows to import."))
    experts = [
        ExpertProfile(**row.values, home_centre_id=by.centre_id, availability="available",
                      verification_status="unverified")
        for row in rows
    ]
    db.session.add_all(experts)
    db.session.flush()
    ids = [e.id for e in experts]
    event = audit.record(
        by, AUDIT_ACTION, "import", None,
        {"created": len(ids), "skipped": len(preview.rows) - len(rows),
         "file": filename[:200], "sha256": preview.sha256, "expert_ids": ids},
        centre_id=by.centre_id,
    )
    db.session.flush()
    return ImportResult(event_id=event.id, expert_ids=ids,
                        skipped=len(preview.rows) - len(rows))


def import_experts(preview: ImportPreview, by: User, filename: str) -> ImportResult:
    """Write every valid row in one transaction with one audit event: all or nothing."""
    try:
        result = write_experts(preview, by, filename)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


# ---------------------------------------------------------------------------------------------
# The import as a background job: the request validates and queues, a worker writes the rows
# (one transaction) and encodes them (chunk by chunk).

JOB_KIND = "import"
ENCODE_CHUNK = 100


@dataclass
class Confirmation:
    """What confirming a preview gave: a queued job, or a new preview when the pool changed."""

    job: Any = None
    preview: ImportPreview | None = None
    ticket: str | None = None
    filename: str = ""


def confirm(ticket_text: str, user: User) -> Confirmation:
    """Confirm a previewed import in one call: claim the upload, check that the rows are the
    ones previewed, and queue the import job. Raises :class:`ImportRefused` with a message."""
    from expertmatch.services import jobs

    ticket = read_ticket(ticket_text, user)
    claimed = claim_upload(ticket)
    try:
        with open(claimed, "rb") as handle:
            data = handle.read(max_file_bytes() + 1)
        preview = preview_upload(data)  # again: the pool may have changed since the preview
        if preview.fingerprint != ticket.fingerprint:
            release_upload(claimed, ticket, keep=False)
            new_ticket = stash_upload(data, user, preview, ticket.filename) if (
                preview.valid_rows) else None
            return Confirmation(preview=preview, ticket=new_ticket, filename=ticket.filename)
        job = jobs.create(JOB_KIND, {"path": claimed, "filename": ticket.filename,
                                     "fingerprint": ticket.fingerprint,
                                     "rows": len(preview.valid_rows)}, by=user)
        db.session.commit()
    except Exception:
        db.session.rollback()
        release_upload(claimed, ticket, keep=True)
        raise
    jobs.enqueue(job)
    return Confirmation(job=job, filename=ticket.filename)


def plan_import_job(job: Any) -> list[list[int]]:
    """Write the rows (the job commits them with its chunks) and return the encoding chunks."""
    from expertmatch.services.jobs import JobRefused

    params = job.params or {}
    user = db.session.get(User, job.started_by_id) if job.started_by_id else None
    if user is None or not user.active:
        raise JobRefused(_l("The account that started this import is no longer active."))
    try:
        with open(str(params.get("path")), "rb") as handle:
            data = handle.read(max_file_bytes() + 1)
    except OSError:
        raise JobRefused(_l("The uploaded file is gone (it is kept for a day). Upload it "
                            "again.")) from None
    preview = preview_upload(data)
    if preview.fingerprint != params.get("fingerprint"):
        raise JobRefused(_l("The pool changed since the preview (for example, an expert with "
                            "one of these emails was added). Nothing was imported: upload the "
                            "file again and check the rows."))
    try:
        result = write_experts(preview, user, str(params.get("filename") or ""))
    except ImportRefused as refused:
        raise JobRefused(refused.message) from None
    job.result = {"event_id": result.event_id, "created": len(result.expert_ids),
                  "skipped": result.skipped}
    ids = result.expert_ids
    return [ids[i: i + ENCODE_CHUNK] for i in range(0, len(ids), ENCODE_CHUNK)]


def encode_import_chunk(job: Any, expert_ids: list[int]) -> None:
    """Encode one chunk of imported experts (stored vectors are reused, so redoing a chunk
    after a crash encodes nothing twice)."""
    from expertmatch.services import matching

    experts = list(db.session.scalars(
        select(ExpertProfile).where(ExpertProfile.id.in_(expert_ids))
    ))
    if experts:
        matching.experts_imported(experts)


def finish_import_job(job: Any) -> None:
    from expertmatch.services.jobs import path_for

    event_id = (job.result or {}).get("event_id")
    if event_id:
        job.result_url = path_for("pool.import_status", event_id=event_id)
    path = str((job.params or {}).get("path") or "")
    if path.endswith(".claimed"):
        try:
            os.unlink(path)
        except OSError:
            pass


@dataclass
class EncodingProgress:
    """How far the encoding of an import has come, counted in experts with vectors."""

    experts: int
    done: int | None = None  # experts whose texts are encoded, when the engine can tell
    total: int | None = None
    degraded: bool = False  # no embedding model: nothing to wait for

    @property
    def finished(self) -> bool:
        return self.done is not None and self.total is not None and self.done >= self.total


def encoding_progress(expert_ids: list[int]) -> EncodingProgress:
    """Read the progress from the matching engine (``vectors_pending``); without the engine
    or its model, report only how many imported experts are in the pool."""
    existing = db.session.scalar(
        select(func.count(ExpertProfile.id)).where(
            ExpertProfile.id.in_(expert_ids), ExpertProfile.deleted_at.is_(None)
        )
    ) if expert_ids else 0
    progress = EncodingProgress(experts=int(existing or 0))
    if not expert_ids:
        return progress
    try:
        from expertmatch.services import matching

        status = getattr(matching, "model_status", None)
        if status is not None and not status().get("loaded", True):
            progress.degraded = True
            return progress
        pending = getattr(matching, "vectors_pending", None)
        if pending is not None:
            done, total = pending(expert_ids)
            progress.done, progress.total = int(done), int(total)
    except Exception:
        db.session.rollback()
        log.exception("could not read the encoding progress")
    return progress
