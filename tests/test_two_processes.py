"""Two separate web processes (gunicorn, one worker each) on one database: an expert edits
their profile through the first, and the second ranks the changed profile after its next
change-tracking poll (``MATCHING_SYNC_SECONDS``), without a restart."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

from expertmatch import create_app
from expertmatch.extensions import db
from expertmatch.models import DisputeCase, ExpertProfile, User
from expertmatch.services import demo
from tests.test_wheel import Browser, _free_port

ROOT = Path(__file__).resolve().parent.parent


class FormFields(HTMLParser):
    """The fields a browser would submit from the POST form whose action is ``action``."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside, self.fields = action, False, []
        self._select: str | None = None
        self._first: str | None = None
        self._chosen = False
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("method") == "post" and self.action == (a.get("action") or "")
        if not self.inside or ("name" not in a and tag != "option"):
            return
        if tag == "input" and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select, self._first, self._chosen = a["name"], None, False
        elif tag == "option" and self._select:
            if self._first is None:
                self._first = a.get("value") or ""
            if "selected" in a:
                self._chosen = True
                self.fields.append((self._select, a.get("value") or ""))
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields.append((a["name"], ""))

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if self._textarea and self.fields and self.fields[-1][0] == self._textarea:
            self.fields[-1] = (self._textarea, self.fields[-1][1] + data)

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag == "select":
            if self._select and not self._chosen and self._first is not None:
                self.fields.append((self._select, self._first))  # as a browser does
            self._select = None
        elif tag == "textarea":
            if self._textarea and self.fields[-1][1].startswith("\n"):
                self.fields[-1] = (self._textarea, self.fields[-1][1][1:])
            self._textarea = None
        elif tag == "form":
            self.inside = False


def _position(page: str, name: str) -> int | None:
    """The expert's place in the ranked table (rows start with their number)."""
    for number, shown in re.findall(r'<td>(\d+)</td>\s*<th scope="row">([^<]+)', page):
        if shown.strip() == name:
            return int(number)
    return None


def test_an_edit_in_one_web_process_is_ranked_by_the_other(tmp_path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    app = create_app({"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": url,
                      "EMBEDDING_MODEL": "hashing:64"})
    with app.app_context():
        db.create_all()
        demo.seed()
        expert = db.session.scalar(select_expert())
        name, email = expert.full_name, expert.user.email
        coordinator = db.session.scalar(
            db.select(User).where(User.email == demo.coordinator_email("GD-SZ")))
        case_ids = [c.id for c in db.session.scalars(
            db.select(DisputeCase).where(DisputeCase.centre_id == coordinator.centre_id,
                                         DisputeCase.status.in_(("submitted", "triaged",
                                                                 "matching"))))]
        db.session.remove()
        db.engine.dispose()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "EXPERTMATCH_ENV_NAME": "development",
           "EXPERTMATCH_DATABASE_URL": url, "EXPERTMATCH_EMBEDDING_MODEL": "hashing:64",
           "EXPERTMATCH_MATCHING_SYNC_SECONDS": "1", "EXPERTMATCH_QUEUE_FILE":
           str(tmp_path / "queue.sqlite"), "WEB_CONCURRENCY": "1",
           "EXPERTMATCH_WEB_PRELOAD_MODEL": "0"}
    ports = [_free_port(), _free_port()]
    servers = [subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")], cwd=ROOT,
        env={**env, "EXPERTMATCH_BIND": f"127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for port in ports]
    try:
        first, second = (f"http://127.0.0.1:{port}" for port in ports)
        for base in (first, second):
            _wait_up(base)
        staff = Browser(second)
        staff.login(demo.coordinator_email("GD-SZ"), demo.DEMO_PASSWORD)
        positions = {}
        for case_id in case_ids:
            status, page = staff.get(f"/coordinator/cases/{case_id}?top=all")
            assert status == 200
            positions[case_id] = (_position(page, name), page)
        candidates = {cid: pos for cid, (pos, _) in positions.items() if pos and pos > 1}
        assert candidates, positions.keys()
        case_id = max(candidates, key=candidates.get)
        before = candidates[case_id]
        page = positions[case_id][1]
        title = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1)
        title = re.sub(r"<[^>]+>", " ", title).strip()

        owner = Browser(first)
        owner.login(email, demo.DEMO_PASSWORD)
        _status, form_page = owner.get("/expert/profile")
        parser = FormFields("")  # the profile form posts to its own page
        parser.feed(form_page)
        fields = [(k, v) for k, v in parser.fields if k not in ("headline", "bio")]
        fields += [("headline", title[:190]), ("bio", (title + " ") * 20)]
        import urllib.parse

        response = owner.opener.open(first + "/expert/profile",
                                     urllib.parse.urlencode(fields).encode(), timeout=60)
        saved = response.read().decode()
        assert "profile is saved" in saved

        deadline = time.monotonic() + 20
        while True:
            _status, page = staff.get(f"/coordinator/cases/{case_id}?top=all")
            after = _position(page, name)
            if after is not None and after < before:
                break
            assert time.monotonic() < deadline, f"still ranked {after}, was {before}"
            time.sleep(0.5)
    finally:
        for server in servers:
            server.terminate()
            server.wait(30)


def select_expert():  # type: ignore[no-untyped-def]
    return db.select(ExpertProfile).where(ExpertProfile.reference == "E001")


def _wait_up(base: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if Browser(base).get("/health")[0] == 200:
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, f"{base} did not start"
        time.sleep(0.3)
