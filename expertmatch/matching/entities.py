"""Entity names: normalisation, corporate families, common parties and the conflict index.

Conflict checks must catch "Huawei Technologies Co., Ltd.", "HUAWEI" and "华为技术有限公司" as one
company, yet never exclude "Nordvik Telecom" because another company's name also contains
"Telecom". So a name is first reduced to a *key* (:func:`normalise_entity`: Unicode NFKC,
casefold, punctuation, whitespace and legal-form suffixes removed) and keys are then linked only
by exact equality or by an explicit alias/parent table (:class:`EntityResolver`). Fuzzy
similarity is never used to decide.

A family is a whole corporate tree: everything below the topmost known parent. A conflict with
any member therefore excludes an expert from cases against any other member — a parent catches
its subsidiaries, a subsidiary its parent, and (deliberately conservative) sister companies too,
because professional conduct rules generally treat affiliates of a client as the client.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from expertmatch.matching.documents import ConflictDecl
from expertmatch.matching.errors import InputError

__all__ = [
    "DEFAULT_COMMON_PARTIES",
    "CommonParties",
    "ConflictIndex",
    "EntityRecord",
    "EntityResolver",
    "entity_from_dict",
    "normalise_entity",
    "to_simplified",
]

# Legal-form suffixes as token sequences after punctuation removal ("Co., Ltd." -> co ltd,
# "S.A. de C.V." -> sa de cv, "L.L.C." -> llc). Longest first; stripped repeatedly from the end.
_SUFFIXES: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        (
            tuple(s.split())
            for s in (
                "co ltd",
                "co limited",
                "company limited",
                "company ltd",
                "pte ltd",
                "pty ltd",
                "sdn bhd",
                "gmbh and co kg",
                "gmbh co kg",
                "sa de cv",
                "s de rl de cv",
                "kabushiki kaisha",
                "co inc",
                "ltd",
                "limited",
                "inc",
                "incorporated",
                "llc",
                "llp",
                "lp",
                "plc",
                "corp",
                "corporation",
                "co",
                "company",
                "gmbh",
                "ag",
                "kg",
                "se",
                "oy",
                "oyj",
                "ab",
                "asa",
                "sa",
                "sas",
                "sarl",
                "srl",
                "spa",
                "nv",
                "bv",
                "kk",
                "bhd",
                "pte",
                "pty",
                "group",
                # law and patent firms' forms, so "Hartmann Vogel" is "Hartmann Vogel
                # Rechtsanwälte PartG mbB"
                "rechtsanwälte",
                "rechtsanwaelte",
                "patentanwälte",
                "patentanwaelte",
                "partg mbb",
                "partmbb",
                "partnerschaft",
                "law firm",
                "law offices",
                "attorneys at law",
                "avocats",
                "abogados",
                "advogados",
                "associados",
            )
        ),
        key=len,
        reverse=True,
    )
)
_CJK_SUFFIXES: tuple[str, ...] = (
    "律师事务所",
    "律师所",
    "集团股份有限公司",
    "集团有限公司",
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "株式会社",
    "集团",
    "公司",
)
_PUNCT = re.compile(r"[^\w\s]+", re.UNICODE)
_SPACE = re.compile(r"\s+")


@functools.lru_cache(maxsize=1)
def _to_simplified():
    """Traditional-to-simplified Chinese conversion when opencc is installed (optional)."""
    try:
        import opencc

        converter = opencc.OpenCC("t2s")
        return converter.convert
    except Exception:  # noqa: BLE001 - without opencc, traditional names need alias records
        return None


_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@functools.lru_cache(maxsize=16384)
def to_simplified(text: str) -> str:
    """``text`` with Traditional Chinese characters converted to Simplified (opencc ``t2s``).

    Every text the engine matches on goes through this, so a Taiwanese or Hong Kong intake
    (華為, 營業秘密) meets Simplified profiles, glossary terms and alias records. Text without
    Han characters is returned as it is, at the cost of one regex search. Cached: the same
    case and profile texts come back with every ranking and explanation (opencc is pure Python,
    ~0.2 ms per 200 characters).
    """
    if not _HAN.search(text):
        return text
    convert = _to_simplified()
    return convert(text) if convert is not None else text


@functools.lru_cache(maxsize=65536)
def normalise_entity(name: str) -> str:
    """The comparison key of an entity name.

    ``"Huawei Technologies Co., Ltd."`` -> ``"huawei technologies"``; ``"华为技术有限公司"`` ->
    ``"华为技术"``; ``"Nordvik Telecom Oy"`` -> ``"nordvik telecom"``. A name made only of a
    legal form keeps it (so "Ltd." is not the empty key).
    """
    text = to_simplified(unicodedata.normalize("NFKC", name).casefold())
    text = text.replace("&", " and ").replace("+", " and ")
    text = text.replace(".", "")  # "l.l.c." -> "llc", "s.a." -> "sa"
    text = _PUNCT.sub(" ", text)
    text = text.replace("_", " ")
    tokens = _SPACE.sub(" ", text).strip().split()
    if tokens and tokens[0] == "the" and len(tokens) > 1:
        tokens = tokens[1:]
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        for suffix in _SUFFIXES:
            n = len(suffix)
            if len(tokens) > n and tuple(tokens[-n:]) == suffix:
                tokens = tokens[:-n]
                changed = True
                break
    key = " ".join(tokens)
    changed = True
    while changed:
        changed = False
        for suffix in _CJK_SUFFIXES:
            if key.endswith(suffix) and len(key) > len(suffix):
                key = key[: -len(suffix)].rstrip()
                changed = True
                break
    return key


@dataclass(frozen=True)
class EntityRecord:
    """One line of ``data/entities.jsonl``: a company, its parent, and other names for it."""

    name: str
    parent: str | None = None
    aliases: tuple[str, ...] = ()


def entity_from_dict(d: Mapping[str, Any]) -> EntityRecord:
    """Parse one entity record; raises :class:`InputError` for wrong types."""
    if not isinstance(d, Mapping):
        raise InputError(f"expected a JSON object, got {type(d).__name__}")
    name = d.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError("field 'name' is required (a non-empty string)")
    parent = d.get("parent")
    if parent is not None and not isinstance(parent, str):
        raise InputError("field 'parent' must be a string or null")
    aliases = d.get("aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise InputError("field 'aliases' must be a list of strings")
    return EntityRecord(
        name=name.strip(),
        parent=parent.strip() if parent and parent.strip() else None,
        aliases=tuple(a.strip() for a in aliases if a.strip()),
    )


class EntityResolver:
    """Maps any known name of a company to its canonical key and its family.

    Built from :class:`EntityRecord` s. Unknown names resolve to their own normalised key, so
    with an empty table conflict checks still work by exact (normalised) name. When two records
    claim the same alias the first wins: an ambiguous alias must not silently merge families.
    """

    def __init__(self, records: Iterable[EntityRecord] = ()) -> None:
        self._canonical: dict[str, str] = {}
        self._parent: dict[str, str] = {}
        self._display: dict[str, str] = {}
        records = list(records)
        for record in records:
            key = normalise_entity(record.name)
            if not key:
                continue
            self._canonical.setdefault(key, key)
            self._display.setdefault(key, record.name)
            for alias in record.aliases:
                alias_key = normalise_entity(alias)
                if alias_key:
                    self._canonical.setdefault(alias_key, self._canonical[key])
        for record in records:
            if record.parent:
                child = self.canonical(record.name)
                parent = self.canonical(record.parent)
                if parent and parent != child:
                    self._parent.setdefault(child, parent)
        self._root_cache: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._display)

    def canonical(self, name: str) -> str:
        """The canonical key of ``name`` (its record's key, or its own normalised key)."""
        key = normalise_entity(name)
        return self._canonical.get(key, key)

    def root(self, name: str) -> str:
        """The key of the topmost known parent of ``name``: the family's identity."""
        key = self.canonical(name)
        cached = self._root_cache.get(key)
        if cached is not None:
            return cached
        seen = {key}
        current = key
        while current in self._parent:
            current = self._parent[current]
            if current in seen:  # a cycle in the data; stop rather than loop
                break
            seen.add(current)
        self._root_cache[key] = current
        return current

    def display_name(self, key: str) -> str:
        """A readable name for a canonical key (the record's name when there is one)."""
        return self._display.get(key, key)

    @classmethod
    def from_file(cls, path: str | Path) -> EntityResolver:
        """Load ``entities.jsonl``; errors carry ``FILE:LINE:``."""
        from expertmatch.matching.jsonl import read_jsonl

        return cls(read_jsonl(path, entity_from_dict))


# Parties that appear in many disputes (platforms, customs, patent offices, courts' registries):
# naming one as a counterparty never excludes an expert by itself, because nearly every expert
# has dealt with them and the real opponent is the right-holder behind the action.
DEFAULT_COMMON_PARTIES: tuple[str, ...] = (
    "Amazon",
    "Amazon.com",
    "Amazon.com Services LLC",
    "Amazon EU S.à r.l.",
    "eBay",
    "Walmart",
    "AliExpress",
    "Alibaba",
    "Alibaba.com",
    "Taobao",
    "Tmall",
    "JD.com",
    "Temu",
    "Shein",
    "Wish",
    "Etsy",
    "Shopify",
    "TikTok Shop",
    "PayPal",
    "Stripe",
    "Payoneer",
    "Lazada",
    "Shopee",
    "Mercado Libre",
    "Apple App Store",
    "Google Play",
    "U.S. Customs and Border Protection",
    "US Customs and Border Protection",
    "CBP",
    "European Commission",
    "HM Revenue & Customs",
    "HMRC",
    "Zoll",
    "Generalzolldirektion",
    "Hauptzollamt",
    "Douane",
    "Dutch Customs",
    "China Customs",
    "General Administration of Customs",
    "海关总署",
    "海关",
    "USPTO",
    "United States Patent and Trademark Office",
    "EPO",
    "European Patent Office",
    "EUIPO",
    "European Union Intellectual Property Office",
    "WIPO",
    "World Intellectual Property Organization",
    "CNIPA",
    "China National Intellectual Property Administration",
    "国家知识产权局",
    "DPMA",
    "Deutsches Patent- und Markenamt",
    "UKIPO",
    "UK Intellectual Property Office",
    "JPO",
    "KIPO",
    "INPI",
    "IMPI",
    "INAPI",
    "IP Australia",
    "CIPO",
    "USITC",
    "United States International Trade Commission",
    "Unified Patent Court",
    "Doe",
    "John Doe",
    "Unknown",
    "Does 1-100",
    "The Partnerships and Unincorporated Associations Identified on Schedule A",
)


class CommonParties:
    """The common-parties list: default names plus ``data/common_parties.txt`` when present."""

    def __init__(self, names: Iterable[str] = DEFAULT_COMMON_PARTIES) -> None:
        self._names = [n for n in names if n.strip()]
        self._keys = {normalise_entity(n) for n in self._names} - {""}

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and normalise_entity(name) in self._keys

    def is_common(self, name: str, resolver: EntityResolver | None = None) -> bool:
        """Whether ``name`` (or, through the alias table, its canonical name) is a common party."""
        if normalise_entity(name) in self._keys:
            return True
        return resolver is not None and resolver.canonical(name) in self._keys

    @classmethod
    def from_file(cls, path: str | Path | None, *, with_defaults: bool = True) -> CommonParties:
        """Defaults plus the names in ``path`` (one per line, ``#`` comments), if it exists."""
        names = list(DEFAULT_COMMON_PARTIES) if with_defaults else []
        if path is not None and Path(path).exists():
            for line in Path(path).read_text(encoding="utf-8").splitlines():
                line = line.split("#", 1)[0].strip()
                if line:
                    names.append(line)
        return cls(names)


@dataclass(frozen=True)
class ConflictHit:
    """An expert's declared conflict (or firm) that matched a case party's family."""

    expert_id: str
    declared: str
    relation: str | None
    until: str | None
    via_firm: bool = False


class ConflictIndex:
    """Inverted index from family key to the experts whose declared conflicts touch it.

    Exclusion is then a dictionary lookup per case party instead of a loop over experts x
    parties. The index also holds each expert's firm, because an expert whose own firm
    represents the other side cannot act either.
    """

    def __init__(self, resolver: EntityResolver | None = None) -> None:
        self.resolver = resolver or EntityResolver()
        self._by_root: dict[str, dict[str, list[ConflictDecl]]] = {}
        self._firm_by_root: dict[str, dict[str, str]] = {}
        self._roots_of: dict[str, tuple[set[str], set[str]]] = {}

    def set_expert(
        self, expert_id: str, conflicts: Sequence[ConflictDecl], firm: str | None = None
    ) -> None:
        """Index (or re-index) one expert's conflicts and firm."""
        self.remove(expert_id)
        roots: set[str] = set()
        for decl in conflicts:
            root = self.resolver.root(decl.entity)
            if root:
                self._by_root.setdefault(root, {}).setdefault(expert_id, []).append(decl)
                roots.add(root)
        firm_roots: set[str] = set()
        if firm:
            root = self.resolver.root(firm)
            if root:
                self._firm_by_root.setdefault(root, {})[expert_id] = firm
                firm_roots.add(root)
        self._roots_of[expert_id] = (roots, firm_roots)

    def remove(self, expert_id: str) -> None:
        """Drop one expert from the index (no-op if absent)."""
        roots, firm_roots = self._roots_of.pop(expert_id, (set(), set()))
        for root in roots:
            bucket = self._by_root.get(root)
            if bucket is not None:
                bucket.pop(expert_id, None)
                if not bucket:
                    del self._by_root[root]
        for root in firm_roots:
            bucket2 = self._firm_by_root.get(root)
            if bucket2 is not None:
                bucket2.pop(expert_id, None)
                if not bucket2:
                    del self._firm_by_root[root]

    def conflicts_with(self, name: str) -> dict[str, list[ConflictDecl]]:
        """Experts with a declared conflict in the family of ``name`` (any until-date)."""
        root = self.resolver.root(name)
        return self._by_root.get(root, {}) if root else {}

    def firms_matching(self, name: str) -> dict[str, str]:
        """Experts whose own firm is in the family of ``name`` (expert id -> firm)."""
        root = self.resolver.root(name)
        return self._firm_by_root.get(root, {}) if root else {}
