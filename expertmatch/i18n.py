"""Two languages: the locale choice and the names of codes in the reader's language.

The database stores codes; pages show names. Countries, languages and
provinces come from Babel's locale data; controlled vocabularies from the
catalog (their English labels in :mod:`expertmatch.vocabulary` are marked for
extraction).
"""

from __future__ import annotations

import os
from datetime import date, datetime
from decimal import Decimal

from babel import Locale
from flask import Flask, has_request_context, request, session
from flask_babel import format_date, format_datetime, format_decimal, get_locale, gettext
from flask_login import current_user

from expertmatch import vocabulary
from expertmatch.extensions import babel

SUPPORTED = ("en", "zh")


def select_locale() -> str:
    """The user's stored preference, else the session's choice, else Accept-Language.
    Outside a request (commands, background work) the default language."""
    if not has_request_context():
        return "en"
    if request.path.startswith("/api/"):  # token requests: the client's Accept-Language only
        return request.accept_languages.best_match(SUPPORTED) or "en"
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in SUPPORTED:
        return user_locale
    chosen = session.get("locale")
    if chosen in SUPPORTED:
        return chosen
    return request.accept_languages.best_match(SUPPORTED) or "en"


def init_app(app: Flask) -> None:
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES", os.path.join(os.path.dirname(__file__), "translations")
    )
    babel.init_app(app, locale_selector=select_locale)
    from expertmatch.navigation import nav_items
    from expertmatch.notifications import notification_text

    app.jinja_env.globals.update(
        nav_items=nav_items,
        notification_text=notification_text,
        code_name=code_name,
        code_names=code_names,
        country_name=country_name,
        language_name=language_name,
        current_locale=current_locale,
        html_lang=html_lang,
        vocabulary=vocabulary,
    )
    app.jinja_env.filters.update(
        date=_date_filter,
        datetime=_datetime_filter,
        money=format_money,
        number=format_decimal,
    )


def current_locale() -> str:
    return str(get_locale() or "en")


def html_lang() -> str:
    """The BCP 47 tag of the page: `zh-Hans` for Simplified Chinese."""
    return "zh-Hans" if current_locale().startswith("zh") else "en"


def _babel_locale() -> Locale:
    return get_locale() or Locale("en")


# Names the public service uses in Chinese where CLDR's differ.
ZH_TERRITORY_NAMES = {"TW": "中国台湾", "HK": "中国香港", "MO": "中国澳门"}


def country_name(code: str | None) -> str:
    """A jurisdiction's name: forums from the catalog, countries from Babel."""
    if not code:
        return ""
    if code in vocabulary.FORUMS:
        return gettext(vocabulary.FORUMS[code])
    if code in vocabulary.PROVINCES:
        return gettext(vocabulary.PROVINCES[code])
    locale = _babel_locale()
    if locale.language == "zh" and code.upper() in ZH_TERRITORY_NAMES:
        return ZH_TERRITORY_NAMES[code.upper()]
    return locale.territories.get(code.upper(), code)


def language_name(code: str | None) -> str:
    if not code:
        return ""
    return _babel_locale().languages.get(code, code)


VOCABULARIES = {
    "dispute_type": vocabulary.DISPUTE_TYPES,
    "industry": vocabulary.INDUSTRIES,
    "role_type": vocabulary.EXPERT_ROLE_TYPES,
    "status": vocabulary.CASE_STATUSES,
    "our_role": vocabulary.OUR_ROLES,
    "sep_standard": vocabulary.SEP_STANDARDS,
    "negotiation_stage": vocabulary.NEGOTIATION_STAGES,
    "goal": vocabulary.GOALS,
    "confidentiality": vocabulary.CONFIDENTIALITY_LEVELS,
    "availability": vocabulary.AVAILABILITY,
    "assignment_status": vocabulary.ASSIGNMENT_STATUSES,
    "outcome": vocabulary.CASE_OUTCOMES,
    "relation": vocabulary.CONFLICT_RELATIONS,
    "admission_status": vocabulary.ADMISSION_STATUSES,
    "verification": vocabulary.VERIFICATION_STATUSES,
    "size": vocabulary.ORGANISATION_SIZES,
    "role": vocabulary.USER_ROLES,
    "centre_kind": vocabulary.CENTRE_KINDS,
    "province": vocabulary.PROVINCES,
}


def code_name(kind: str, code: str | None) -> str:
    """The name of a controlled-vocabulary code in the reader's language."""
    if code is None or code == "":
        return ""
    if kind == "jurisdiction":
        return country_name(code)
    if kind == "language":
        return language_name(code)
    label = VOCABULARIES[kind].get(code)
    return gettext(label) if label else code


def code_names(kind: str, codes: list[str] | None) -> str:
    return ", ".join(code_name(kind, c) for c in codes or [])


def choices(kind: str, codes: list[str] | tuple[str, ...] | None = None) -> list[tuple[str, str]]:
    """(code, name) pairs for a select field, named in the current language."""
    if kind in ("jurisdiction", "language"):
        source = codes or (
            vocabulary.COMMON_JURISDICTIONS
            if kind == "jurisdiction"
            else vocabulary.COMMON_LANGUAGES
        )
        return [(c, code_name(kind, c)) for c in source]
    return [(c, gettext(label)) for c, label in VOCABULARIES[kind].items()]


def _date_filter(value: date | datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, fmt)


def _datetime_filter(value: datetime | None, fmt: str = "medium") -> str:
    return "" if value is None else format_datetime(value, fmt)


def format_money(amount: Decimal | float | None, currency: str | None) -> str:
    from babel.numbers import format_currency

    if amount is None:
        return ""
    return format_currency(amount, currency or "CNY", locale=_babel_locale())
