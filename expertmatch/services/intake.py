"""The intake reader in the web app: suggestions on the intake form, what was inferred per case,
the coordinator's confirm / correct, and corrections as training data.

The reading itself is :mod:`expertmatch.matching.intake` (pure); this module stores it. The
reader is trained once per process, lazily, on the written set of ``data/intake`` plus every
correction stored so far (a correction resets it, so the next reading learns from it).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from expertmatch import vocabulary
from expertmatch.extensions import db
from expertmatch.matching.intake import Inferred, IntakeExample, IntakeReader, IntakeReading
from expertmatch.models import CaseInference, DisputeCase, User, utcnow
from expertmatch.services import audit

# The case fields the reader fills: (field, kind of code for names, is a list).
FORM_FIELDS: dict[str, tuple[str | None, bool]] = {
    "dispute_type": ("dispute_type", False),
    "industry": ("industry", False),
    "jurisdictions": ("jurisdiction", True),
    "languages": ("language", True),
    "forum": (None, False),
}
DECIDED = ("kept", "confirmed", "corrected")

_lock = threading.Lock()
_readers: dict[str, IntakeReader] = {}


class IntakeError(ValueError):
    """A confirm / correct that cannot be done; ``message`` is for the user."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def reader() -> IntakeReader:
    """The process's reader, trained on first use."""
    data_dir = str(current_app.config["DATA_DIR"])
    with _lock:
        if data_dir not in _readers:
            _readers[data_dir] = IntakeReader.from_data(
                Path(data_dir), extra=correction_examples(), split=None
            )
        return _readers[data_dir]


def reset_reader() -> None:
    """Forget the trained reader (after a correction, so that it is learnt from)."""
    with _lock:
        _readers.clear()


def _allowed(field: str, value: Any) -> bool:
    """Whether a value fits the form's vocabularies (the reader may know more codes)."""
    if field == "dispute_type":
        return value in vocabulary.DISPUTE_TYPES
    if field == "industry":
        return value in vocabulary.INDUSTRIES
    if field == "jurisdictions":
        return value in vocabulary.COMMON_JURISDICTIONS
    if field == "languages":
        return value in vocabulary.COMMON_LANGUAGES
    return bool(value)


def suggestions(title: str, description: str) -> dict[str, list[Inferred]]:
    """What the reader offers for the form fields, by field (single fields: a list of one)."""
    if not (title or "").strip() and not (description or "").strip():
        return {}
    reading: IntakeReading = reader().read(title or "", description or "")
    out: dict[str, list[Inferred]] = {}
    for field, (_kind, many) in FORM_FIELDS.items():
        value = getattr(reading, field)
        values = list(value) if many else ([value] if value is not None else [])
        values = [v for v in values if _allowed(field, v.value)]
        if values:
            out[field] = values
    return out


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


def _stored_value(found: list[Inferred], many: bool) -> Any:
    return [v.value for v in found] if many else found[0].value


def _confidence(found: list[Inferred]) -> float:
    return round(sum(v.confidence for v in found) / len(found), 3)


def record_reading(case: DisputeCase, offered: Iterable[str], actor: User) -> None:
    """Store what the reader reads in ``case`` after the enterprise saved it.

    ``offered``: the fields the form pre-filled from suggestions. Such a field saved unchanged
    was *kept* by the enterprise; changed, it was *corrected*. An empty field gets a
    ``suggested`` inference that ranking uses; a field the enterprise filled itself has none.
    The caller commits.
    """
    offered = set(offered) & set(FORM_FIELDS)
    found = suggestions(case.title, case.description)
    existing = {i.field: i for i in db.session.scalars(
        select(CaseInference).where(CaseInference.case_id == case.id)
    )}
    for field, (_kind, many) in FORM_FIELDS.items():
        current = getattr(case, field)
        row = existing.get(field)
        values = found.get(field)
        if row is not None and row.status in ("confirmed",) and not _is_empty(current):
            continue  # a coordinator's decision stands
        if field in offered and values:
            if row is None:
                row = CaseInference(case_id=case.id, field=field)
                db.session.add(row)
            row.value = _stored_value(values, many)
            row.confidence = _confidence(values)
            row.evidence = "; ".join(v.evidence for v in values if v.evidence)[:500]
            same = (sorted(current or []) == sorted(row.value)) if many else current == row.value
            row.status = "kept" if same else "corrected"
            row.corrected_value = None if same else current
            row.decided_by_id, row.decided_at = actor.id, utcnow()
        elif _is_empty(current) and values:
            if row is None:
                row = CaseInference(case_id=case.id, field=field)
                db.session.add(row)
            row.value = _stored_value(values, many)
            row.confidence = _confidence(values)
            row.evidence = "; ".join(v.evidence for v in values if v.evidence)[:500]
            row.status, row.corrected_value = "suggested", None
            row.decided_by_id = row.decided_at = None
        elif row is not None and row.status != "corrected":
            db.session.delete(row)  # the enterprise entered the field itself


def inferences(case: DisputeCase) -> list[CaseInference]:
    """The case's inferences in form order."""
    rows = db.session.scalars(select(CaseInference).where(CaseInference.case_id == case.id))
    order = list(FORM_FIELDS)
    return sorted(rows, key=lambda r: order.index(r.field) if r.field in order else 99)


def pending_fields(case: DisputeCase) -> dict[str, tuple[Any, float]]:
    """Inferred values of fields still empty: what ranking fills in, with their confidence."""
    out = {}
    for row in inferences(case):
        if row.status == "suggested" and _is_empty(getattr(case, row.field, None)):
            out[row.field] = (row.value, row.confidence)
    return out


def _row(case: DisputeCase, field: str) -> CaseInference:
    row = db.session.scalar(
        select(CaseInference).where(CaseInference.case_id == case.id, CaseInference.field == field)
    )
    if row is None:
        raise IntakeError(_l("Nothing was inferred for this field."))
    return row


def confirm(case: DisputeCase, field: str, actor: User) -> CaseInference:
    """A coordinator confirms an inferred value: it becomes the case's value."""
    row = _row(case, field)
    setattr(case, field, list(row.value) if FORM_FIELDS[field][1] else row.value)
    row.status, row.decided_by_id, row.decided_at = "confirmed", actor.id, utcnow()
    audit.record(actor, "case.inference_confirmed", "case", case.id, {"field": field},
                 centre_id=case.centre_id)
    db.session.commit()
    return row


def correct(case: DisputeCase, field: str, value: Any, actor: User) -> CaseInference:
    """A coordinator corrects an inferred value; the correction is kept as training data."""
    row = _row(case, field)
    many = FORM_FIELDS[field][1]
    values = [v for v in (value or []) if v] if many else value
    if _is_empty(values) or not all(
        _allowed(field, v) for v in (values if many else [values])
    ):
        raise IntakeError(_l("Choose a value from the list."))
    setattr(case, field, list(values) if many else values)
    row.status, row.corrected_value = "corrected", values
    row.decided_by_id, row.decided_at = actor.id, utcnow()
    audit.record(actor, "case.inference_corrected", "case", case.id,
                 {"field": field, "from": row.value, "to": values}, centre_id=case.centre_id)
    db.session.commit()
    reset_reader()
    return row


def correction_examples() -> list[IntakeExample]:
    """Cases whose inferred dispute type was corrected or confirmed, as training examples."""
    rows = db.session.scalars(
        select(CaseInference).where(CaseInference.status.in_(("corrected", "confirmed")))
    ).all()
    by_case: dict[int, list[CaseInference]] = {}
    for row in rows:
        by_case.setdefault(row.case_id, []).append(row)
    out = []
    for case_id in sorted(by_case):
        case = db.session.get(DisputeCase, case_id)
        if case is None or case.dispute_type not in vocabulary.DISPUTE_TYPES:
            continue
        fields = {r.field for r in by_case[case_id]}
        if not fields & {"dispute_type", "industry", "jurisdictions"}:
            continue
        out.append(
            IntakeExample(
                id=f"case-{case.id}",
                lang=case.text_language or "",
                text=f"{case.title or ''} {case.description or ''}".strip(),
                dispute_type=case.dispute_type,
                jurisdictions=tuple(case.jurisdictions or ()),
                industry=case.industry if case.industry in vocabulary.INDUSTRIES else None,
            )
        )
    return out


def export_corrections() -> list[dict[str, Any]]:
    """The corrections as lines of the written set's format (``expertmatch read --corrections``)."""
    return [
        {
            "id": e.id,
            "lang": e.lang or None,
            "title": "",
            "description": e.text,
            "dispute_type": e.dispute_type,
            "jurisdictions": list(e.jurisdictions),
            "industry": e.industry,
            "split": "train",
        }
        for e in correction_examples()
    ]
