"""The documents the matching engine works on: experts, their matters and conflicts, and cases.

They are plain frozen dataclasses so that the web layer can build them from its rows, the CLI
from JSON Lines, and tests by hand, without the engine knowing where they came from. Lists are
stored as tuples so a document cannot change while it sits in an index.

The parsers accept the JSONL formats of ``data/FORMAT.md``. Only ``id`` and some text are
required; every other field may be missing and is then *neutral* for ranking (it neither helps
nor hurts an expert). A field of the wrong type raises :class:`InputError` naming the field.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from expertmatch.matching.errors import InputError

__all__ = [
    "CaseDoc",
    "ConflictDecl",
    "ExpertDoc",
    "Matter",
    "Party",
    "case_from_dict",
    "detect_language",
    "expert_from_dict",
]


@dataclass(frozen=True)
class Matter:
    """One past matter of an expert; ranked as a text of its own."""

    key: str
    title: str = ""
    summary: str = ""
    year: int | None = None
    jurisdiction: str | None = None
    dispute_type: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class ConflictDecl:
    """A conflict the expert declared: an entity they may not act against (or for).

    ``until`` is the last day the conflict applies; ``None`` means open-ended.
    """

    entity: str
    relation: str | None = None
    until: dt.date | None = None

    def applies_on(self, day: dt.date) -> bool:
        """Whether the conflict is still in force on ``day`` (past until-dates no longer bind)."""
        return self.until is None or self.until >= day


@dataclass(frozen=True)
class ExpertDoc:
    """What the engine knows of one expert.

    ``capacity`` ``None`` means no limit is recorded; ``available`` defaults to true because a
    missing flag must not silently hide an expert.
    """

    id: str
    name: str = ""
    headline: str = ""
    bio: str = ""
    jurisdictions: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    dispute_types: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    years_experience: float | None = None
    capacity: int | None = None
    active_cases: int = 0
    available: bool = True
    absent_until: dt.date | None = None
    conflicts: tuple[ConflictDecl, ...] = ()
    matters: tuple[Matter, ...] = ()
    profile_language: str | None = None
    firm: str | None = None
    # What kind of expert (``lawyer``, ``patent_attorney``, ``technical_expert``, ``economist``,
    # ``mediator``) and their usual daily rate in CNY: team assembly covers roles within a budget.
    role_type: str | None = None
    daily_rate: float | None = None


@dataclass(frozen=True)
class Party:
    """A counterparty of a case, with its names in both languages and its counsel."""

    name_en: str | None = None
    name_zh: str | None = None
    counsel: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The party's non-empty names."""
        return tuple(n for n in (self.name_en, self.name_zh) if n)


@dataclass(frozen=True)
class CaseDoc:
    """A dispute case an enterprise submitted.

    ``reference_date`` is the day availability and conflict until-dates are judged on; when it is
    ``None`` the caller's ``today`` is used. ``enterprise`` holds the enterprise's names (Chinese
    and English), all of which are checked against experts' conflicts.
    """

    id: str
    title: str = ""
    description: str = ""
    dispute_type: str | None = None
    jurisdictions: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    industry: str | None = None
    counterparties: tuple[Party, ...] = ()
    enterprise: tuple[str, ...] = ()
    deadline: dt.date | None = None
    lang: str | None = None
    forum: str | None = None
    sep_standard: str | None = None
    reference_date: dt.date | None = None
    # Confidence (0-1) of structured fields that were inferred from the case's text rather than
    # entered by a person, by field name ("dispute_type", "forum", "jurisdictions", "industry",
    # "languages"); a field not listed was entered or confirmed by a person (confidence 1).
    field_confidence: Mapping[str, float] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def language(self) -> str:
        """The case's own language: the ``lang`` field, else detected from its script."""
        return self.lang or detect_language(f"{self.title} {self.description}")


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def detect_language(text: str) -> str:
    """Guess ``zh`` or ``en`` from the script: the only two languages cases are written in.

    Chinese text often carries Latin acronyms (SEP, FRAND, LTE), so a modest share of Han
    characters already makes a text Chinese.
    """
    han = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    if han == 0:
        return "en"
    # A Han character carries about as much as 2-3 Latin letters.
    return "zh" if han * 3 >= latin * 0.5 else "en"


# ---------------------------------------------------------------------------------------------
# Field readers: each raises InputError naming the field and the type it got.


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _get_str(d: Mapping[str, Any], name: str) -> str | None:
    value = d.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"field '{name}' must be a string, got {_type_name(value)}")
    value = unicodedata.normalize("NFC", value).strip()
    return value or None


def _get_id(d: Mapping[str, Any], name: str = "id") -> str:
    if not isinstance(d, Mapping):
        raise InputError(f"expected a JSON object, got {_type_name(d)}")
    value = d.get(name)
    if isinstance(value, bool) or value is None:
        raise InputError(f"field '{name}' is required (a non-empty string)")
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"field '{name}' must be a non-empty string, got {_type_name(value)}")
    return value.strip()


def _get_str_list(d: Mapping[str, Any], name: str, case: str | None = None) -> tuple[str, ...]:
    """A list of strings (a single string is accepted as a list of one), deduplicated."""
    value = d.get(name)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise InputError(f"field '{name}' must be a list of strings, got {_type_name(value)}")
    out: list[str] = []
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise InputError(f"field '{name}[{i}]' must be a string, got {_type_name(item)}")
        item = item.strip()
        if case == "upper":
            item = item.upper()
        elif case == "lower":
            item = item.lower()
        if item and item not in out:
            out.append(item)
    return tuple(out)


def _get_code(d: Mapping[str, Any], name: str) -> str | None:
    value = _get_str(d, name)
    return value.lower() if value else None


def _get_number(d: Mapping[str, Any], name: str) -> float | None:
    value = d.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"field '{name}' must be a number, got {_type_name(value)}")
    if not math.isfinite(value):
        raise InputError(f"field '{name}' must be a finite number")
    if value < 0:
        raise InputError(f"field '{name}' must not be negative")
    return float(value)


def _get_int(d: Mapping[str, Any], name: str) -> int | None:
    value = _get_number(d, name)
    if value is None:
        return None
    if value != int(value):
        raise InputError(f"field '{name}' must be a whole number")
    return int(value)


def _get_bool(d: Mapping[str, Any], name: str, default: bool) -> bool:
    value = d.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise InputError(f"field '{name}' must be true or false, got {_type_name(value)}")
    return value


def _parse_date(value: Any, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InputError(
            f"field '{name}' must be a date string YYYY-MM-DD, got {_type_name(value)}"
        )
    try:
        # Timestamps ("2026-11-21T09:30:00") are accepted; only the day matters here.
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise InputError(f"field '{name}' is not a date YYYY-MM-DD: {value!r}") from None


def _get_date(d: Mapping[str, Any], name: str) -> dt.date | None:
    return _parse_date(d.get(name), name)


def _get_list(d: Mapping[str, Any], name: str) -> list[Any]:
    value = d.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"field '{name}' must be a list, got {_type_name(value)}")
    return value


# ---------------------------------------------------------------------------------------------
# Parsers


def _parse_matter(item: Any, index: int) -> Matter:
    where = f"matters[{index}]"
    if isinstance(item, str):
        return Matter(key=str(index + 1), title=item.strip())
    if not isinstance(item, Mapping):
        raise InputError(f"field '{where}' must be an object, got {_type_name(item)}")
    try:
        key = item.get("key", item.get("id"))
        if key is None:
            key = str(index + 1)  # positional; vectors are reused by text hash, not by key
        elif isinstance(key, bool) or not isinstance(key, str | int):
            raise InputError(f"field 'key' must be a string, got {_type_name(key)}")
        year = _get_int(item, "year")
        jurisdiction = _get_str(item, "jurisdiction")
        return Matter(
            key=str(key),
            title=_get_str(item, "title") or "",
            summary=_get_str(item, "summary") or "",
            year=year,
            jurisdiction=jurisdiction.upper() if jurisdiction else None,
            dispute_type=_get_code(item, "dispute_type"),
            role=_get_str(item, "role"),
        )
    except InputError as exc:
        raise InputError(f"{where}: {exc.message}") from None


def _parse_conflict(item: Any, index: int) -> ConflictDecl:
    where = f"conflicts[{index}]"
    if isinstance(item, str):
        if not item.strip():
            raise InputError(f"field '{where}' is an empty name")
        return ConflictDecl(entity=item.strip())
    if not isinstance(item, Mapping):
        raise InputError(f"field '{where}' must be a name or an object, got {_type_name(item)}")
    try:
        entity = _get_str(item, "entity") or _get_str(item, "name")
        if not entity:
            raise InputError("field 'entity' is required")
        return ConflictDecl(
            entity=entity, relation=_get_code(item, "relation"), until=_get_date(item, "until")
        )
    except InputError as exc:
        raise InputError(f"{where}: {exc.message}") from None


def expert_from_dict(d: Mapping[str, Any]) -> ExpertDoc:
    """Build an :class:`ExpertDoc` from one line of ``experts.jsonl``.

    Raises :class:`InputError` when ``id`` is missing, there is no text to match on, or a field
    has the wrong type. Unknown fields are ignored so the demo file can carry more than the
    engine uses.
    """
    expert_id = _get_id(d)
    matters = tuple(_parse_matter(m, i) for i, m in enumerate(_get_list(d, "matters")))
    keys = [m.key for m in matters]
    if len(set(keys)) != len(keys):
        raise InputError("field 'matters' has two matters with the same key")
    conflicts = tuple(_parse_conflict(c, i) for i, c in enumerate(_get_list(d, "conflicts")))
    headline = _get_str(d, "headline") or ""
    bio = _get_str(d, "bio") or ""
    if not (headline or bio or any(m.title or m.summary for m in matters)):
        raise InputError(f"expert {expert_id} has no text: give 'bio', 'headline' or 'matters'")
    availability = _get_code(d, "availability")
    available = _get_bool(d, "available", default=availability not in ("inactive",))
    return ExpertDoc(
        id=expert_id,
        name=_get_str(d, "name") or "",
        headline=headline,
        bio=bio,
        jurisdictions=_get_str_list(d, "jurisdictions", case="upper"),
        languages=_get_str_list(d, "languages", case="lower"),
        dispute_types=_get_str_list(d, "dispute_types", case="lower"),
        industries=_get_str_list(d, "industries", case="lower"),
        years_experience=_get_number(d, "years_experience"),
        capacity=_get_int(d, "capacity"),
        active_cases=_get_int(d, "active_cases") or 0,
        available=available,
        absent_until=_get_date(d, "absent_until"),
        conflicts=conflicts,
        matters=matters,
        profile_language=_get_code(d, "profile_language"),
        firm=_get_str(d, "firm"),
        role_type=_get_code(d, "role_type"),
        daily_rate=_get_number(d, "daily_rate"),
    )


def _parse_party(item: Any, index: int) -> Party:
    where = f"counterparties[{index}]"
    if isinstance(item, str):
        if not item.strip():
            raise InputError(f"field '{where}' is an empty name")
        name = item.strip()
        is_zh = detect_language(name) == "zh"
        return Party(name_en=None if is_zh else name, name_zh=name if is_zh else None)
    if not isinstance(item, Mapping):
        raise InputError(f"field '{where}' must be a name or an object, got {_type_name(item)}")
    try:
        party = Party(
            name_en=_get_str(item, "name_en") or _get_str(item, "name"),
            name_zh=_get_str(item, "name_zh"),
            counsel=_get_str(item, "counsel"),
        )
    except InputError as exc:
        raise InputError(f"{where}: {exc.message}") from None
    if not party.names and not party.counsel:
        raise InputError(f"field '{where}' has neither a name nor counsel")
    return party


def _parse_enterprise(d: Mapping[str, Any]) -> tuple[str, ...]:
    names: list[str] = []
    value = d.get("enterprise")
    if isinstance(value, Mapping):
        for key in ("name_en", "name_zh", "name"):
            name = _get_str(value, key)
            if name:
                names.append(name)
    elif value is not None:
        names.extend(_get_str_list(d, "enterprise"))
    for key in ("enterprise_en", "enterprise_zh"):
        name = _get_str(d, key)
        if name:
            names.append(name)
    return tuple(dict.fromkeys(names))


def case_from_dict(d: Mapping[str, Any]) -> CaseDoc:
    """Build a :class:`CaseDoc` from one line of ``cases.jsonl``.

    ``counterparties`` may be a list of names or of ``{name_en, name_zh, counsel}`` objects.
    Raises :class:`InputError` for a missing id or text and for wrongly typed fields.
    """
    case_id = _get_id(d)
    title = _get_str(d, "title") or ""
    description = _get_str(d, "description") or ""
    if not (title or description):
        raise InputError(f"case {case_id} has no text: give 'title' and/or 'description'")
    counterparties = tuple(_parse_party(p, i) for i, p in enumerate(_get_list(d, "counterparties")))
    known = {
        "id",
        "title",
        "description",
        "dispute_type",
        "jurisdictions",
        "languages",
        "industry",
        "counterparties",
        "enterprise",
        "deadline",
        "lang",
        "forum",
        "sep_standard",
        "reference_date",
    }
    return CaseDoc(
        id=case_id,
        title=title,
        description=description,
        dispute_type=_get_code(d, "dispute_type"),
        jurisdictions=_get_str_list(d, "jurisdictions", case="upper"),
        languages=_get_str_list(d, "languages", case="lower"),
        industry=_get_code(d, "industry"),
        counterparties=counterparties,
        enterprise=_parse_enterprise(d),
        deadline=_get_date(d, "deadline"),
        lang=_get_code(d, "lang"),
        forum=_get_str(d, "forum"),
        sep_standard=_get_code(d, "sep_standard"),
        reference_date=_get_date(d, "reference_date"),
        extra={k: v for k, v in d.items() if k not in known},
    )
