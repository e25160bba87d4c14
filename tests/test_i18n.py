"""Two languages: the choice of language, and a complete Chinese catalog."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from expertmatch.extensions import db
from expertmatch.models import User
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "expertmatch" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"


@pytest.mark.parametrize(
    "header, lang",
    [
        ("zh-CN,zh;q=0.9,en;q=0.5", "zh-Hans"),
        ("zh", "zh-Hans"),
        ("zh-Hans-CN", "zh-Hans"),
        ("en-GB,en;q=0.8", "en"),
        ("fr-FR", "en"),
    ],
)
def test_accept_language_picks_the_catalog(client, header, lang):  # type: ignore[no-untyped-def]
    page = client.get("/auth/login", headers={"Accept-Language": header}).get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    if lang == "zh-Hans":
        assert "登录" in page
    else:
        assert "Sign in" in page


def test_switch_changes_language_and_is_stored_for_the_user(app, client):  # type: ignore[no-untyped-def]
    # No app context around the requests: each request picks its own language, as in production.
    with app.app_context():
        user = factories.user("enterprise")
        user_id = user.id
    client.post("/auth/login", data={"email": user.email, "password": factories.PASSWORD})
    response = client.post("/language", data={"locale": "zh", "next": "/home"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/home")
    assert '<html lang="zh-Hans">' in client.get("/home").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user_id).locale == "zh"
    # The stored preference wins over the browser's language on the next visit.
    client.post("/auth/logout")
    client.post("/auth/login", data={"email": user.email, "password": factories.PASSWORD})
    page = client.get("/home", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page


def test_switch_for_anonymous_visitors_uses_the_session(client):  # type: ignore[no-untyped-def]
    client.post("/language", data={"locale": "zh", "next": "/auth/login"})
    page = client.get("/auth/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page


def test_switch_refuses_unknown_languages_and_foreign_next(client):  # type: ignore[no-untyped-def]
    assert client.post("/language", data={"locale": "xx"}).status_code == 400
    response = client.post("/language", data={"locale": "en", "next": "https://evil.example/"})
    assert "evil" not in response.headers["Location"]


def test_every_message_has_a_chinese_translation(tmp_path):  # type: ignore[no-untyped-def]
    """Extract the messages from the code and templates now and look each up in the
    catalog: a new string without a translation fails here."""
    pot = tmp_path / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(ROOT / "expertmatch" / "translations" / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "N_",
            "-o",
            str(pot),
            str(ROOT),
        ]
    )
    with pot.open("rb") as handle:
        extracted = read_po(handle)
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="zh")
    missing = []
    for message in extracted:
        if not message.id:
            continue
        found = catalog.get(message.id, message.context)
        strings = (found.string if found else None) or ""
        texts = strings if isinstance(strings, tuple | list) else (strings,)
        if not found or found.fuzzy or not all(texts):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    assert not missing, f"{len(missing)} messages lack a Chinese translation, e.g. {missing[:10]}"
