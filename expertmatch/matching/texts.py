"""The texts an expert is matched on, and the text a case is matched with.

An expert yields several texts so that one specific past matter can match a case strongly even
when the rest of the profile is about other things:

* ``profile``: headline, bio and the structured attributes spelt out in words (the model
  cannot read ``sep_frand``, but it can read "SEP / FRAND");
* ``matter:<key>``: each past matter's title, summary and role.

Each text carries a sha256 of its content. Vectors are stored with the model name and this
hash, so a profile edit re-encodes exactly the texts whose content changed.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

from expertmatch import vocabulary
from expertmatch.matching.documents import CaseDoc, ExpertDoc, Matter
from expertmatch.matching.entities import to_simplified

__all__ = [
    "PROFILE_KEY",
    "ExpertText",
    "case_query_text",
    "jurisdiction_name",
    "language_name",
    "matter_key",
    "text_hash",
    "texts_for_expert",
]

PROFILE_KEY = "profile"


@dataclass(frozen=True)
class ExpertText:
    """One text of an expert: its stable key, the text, and the sha256 of the text.

    ``title`` is what an explanation shows for it (the matter's title, or "Profile").
    """

    key: str
    text: str
    hash: str
    title: str = ""


def text_hash(text: str) -> str:
    """sha256 hex digest of the UTF-8 text: the identity of a vector together with the model."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def matter_key(matter: Matter) -> str:
    """The stable text key of a matter."""
    return f"matter:{matter.key}"


@functools.lru_cache(maxsize=1)
def _babel_names() -> tuple[dict[str, str], dict[str, str]]:
    """English country and language names from Babel's locale data (empty if unavailable)."""
    try:
        from babel import Locale

        locale = Locale("en")
        return dict(locale.territories), dict(locale.languages)
    except Exception:  # noqa: BLE001 - names are a nicety; codes still work
        return {}, {}


def jurisdiction_name(code: str) -> str:
    """ "Germany" for ``DE``, "Unified Patent Court" for ``UPC``; the code if unknown."""
    if code in vocabulary.FORUMS:
        return vocabulary.FORUMS[code]
    return _babel_names()[0].get(code, code)


def language_name(code: str) -> str:
    """ "German" for ``de``; the code if unknown."""
    return _babel_names()[1].get(code, code)


def _labels(codes: tuple[str, ...], table: dict[str, str]) -> str:
    return ", ".join(table.get(c, c.replace("_", " ")) for c in codes)


def profile_text(expert: ExpertDoc) -> str:
    """Headline, bio and the structured attributes in words, one sentence each."""
    parts = [p for p in (expert.headline, expert.bio) if p]
    if expert.dispute_types:
        parts.append(f"Dispute types: {_labels(expert.dispute_types, vocabulary.DISPUTE_TYPES)}.")
    if expert.jurisdictions:
        names = ", ".join(jurisdiction_name(c) for c in expert.jurisdictions)
        parts.append(f"Jurisdictions: {names}.")
    if expert.industries:
        parts.append(f"Industries: {_labels(expert.industries, vocabulary.INDUSTRIES)}.")
    if expert.languages:
        parts.append(f"Languages: {', '.join(language_name(c) for c in expert.languages)}.")
    return "\n".join(parts)


def matter_text(matter: Matter) -> str:
    """Title, summary and role of a matter (jurisdiction and type count as structured fit)."""
    parts = [p for p in (matter.title, matter.summary) if p]
    if matter.role:
        parts.append(f"Role: {matter.role}.")
    return "\n".join(parts)


def texts_for_expert(expert: ExpertDoc) -> list[ExpertText]:
    """All texts of an expert in a fixed order: the profile first, then matters as listed.

    Empty texts are skipped (a matter with neither title nor summary matches nothing).
    Traditional Chinese is converted to Simplified, as in the case text.
    """
    out: list[ExpertText] = []
    text = to_simplified(profile_text(expert))
    if text:
        out.append(ExpertText(PROFILE_KEY, text, text_hash(text), "Profile"))
    for matter in expert.matters:
        text = to_simplified(matter_text(matter))
        if text:
            out.append(ExpertText(matter_key(matter), text, text_hash(text), matter.title))
    return out


def case_query_text(
    case: CaseDoc, expansions: list[str] | None = None, *, attributes: bool = True
) -> str:
    """The text a case is matched with: title, description, forum and SEP standard in words.

    With ``attributes`` the dispute type and jurisdictions are spelt out as the profile texts
    spell them, which gives both channels the same words to meet on.

    ``expansions`` are glossary translations of the case's terms (see
    :mod:`expertmatch.matching.lexical`); appending them lets an English-only model read a
    Chinese case's key terms. Traditional Chinese is converted to Simplified.
    """
    parts = [p for p in (case.title, case.description) if p]
    if case.forum:
        parts.append(f"Forum: {case.forum}.")
    if case.sep_standard:
        standard = vocabulary.SEP_STANDARDS.get(case.sep_standard, case.sep_standard)
        parts.append(f"Standard: {standard}.")
    if attributes and case.dispute_type:
        label = vocabulary.DISPUTE_TYPES.get(case.dispute_type, case.dispute_type)
        parts.append(f"Dispute type: {label}.")
    if attributes and case.jurisdictions:
        names = ", ".join(jurisdiction_name(c) for c in case.jurisdictions)
        parts.append(f"Jurisdictions: {names}.")
    if expansions:
        parts.append(" ".join(expansions))
    return to_simplified("\n".join(parts))
