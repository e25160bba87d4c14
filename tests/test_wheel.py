"""The package as deployed: ``pip wheel .``, installed into a fresh virtual environment (not
this one, not the source tree), upgrades a PostgreSQL database with its own migrations and
serves every role's pages through gunicorn with its templates, translations and static files.

The fresh environment gets ``torch==2.13.0`` first (never a CUDA build) and is kept under
``test-artifacts/`` keyed by the dependency list, so a rerun only reinstalls the wheel; pip's
download cache is reused.
"""

from __future__ import annotations

import hashlib
import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = [pytest.mark.postgres, pytest.mark.wheel]


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    result = subprocess.run(args, capture_output=True, text=True, timeout=1200, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, args))}\n{result.stdout}\n{result.stderr}"
    return result


def _fresh_venv(wheel: Path) -> Path:
    requirements = (ROOT / "setup.cfg").read_bytes() + (ROOT / "setup.py").read_bytes()
    venv = ARTIFACTS / f"wheel-venv-{hashlib.sha256(requirements).hexdigest()[:12]}"
    python = venv / "bin" / "python"
    if not (venv / ".ready").exists():
        shutil.rmtree(venv, ignore_errors=True)
        _run([sys.executable, "-m", "venv", str(venv)])
        _run([str(python), "-m", "pip", "install", "-q", "torch==2.13.0"])
        _run([str(python), "-m", "pip", "install", "-q", str(wheel)])
        (venv / ".ready").touch()
    else:
        _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall",
              str(wheel)])
    return venv


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _compiled_translations() -> None:
    """The .mo files are build products (make compiles them); the wheel must carry them."""
    from babel.messages.frontend import CommandLineInterface

    CommandLineInterface().run(["pybabel", "-q", "compile", "-d",
                                str(ROOT / "expertmatch" / "translations")])


class Browser:
    """A cookie-keeping HTTP client that signs in through the real form (with CSRF)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def login(self, email: str, password: str) -> tuple[int, str]:
        _status, page = self.get("/auth/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode(
            {"email": email, "password": password, "csrf_token": token}).encode()
        with self.opener.open(self.base + "/auth/login", body, timeout=60) as response:
            return response.status, response.read().decode()


def test_installed_wheel_serves_every_role_through_gunicorn(tmp_path, pg_database):  # type: ignore[no-untyped-def]
    _compiled_translations()
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)])
    wheel = next(wheels.glob("expertmatch-*.whl"))
    venv = _fresh_venv(wheel)
    bin_dir = venv / "bin"
    port = _free_port()
    env = {
        "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "HF_HUB_OFFLINE": "1",
        "EXPERTMATCH_ENV_NAME": "production",
        "EXPERTMATCH_SECRET_KEY": "wheel-test-" + "x" * 40,
        "EXPERTMATCH_DATABASE_URL": pg_database,
        "EXPERTMATCH_EMBEDDING_MODEL": "hashing:64",
        # Plain HTTP in this test; production sets neither (cookies are Secure there).
        "EXPERTMATCH_SESSION_COOKIE_SECURE": "false",
        "EXPERTMATCH_REMEMBER_COOKIE_SECURE": "false",
        "EXPERTMATCH_BIND": f"127.0.0.1:{port}",
        "EXPERTMATCH_QUEUE_FILE": str(tmp_path / "queue.sqlite"),
        "WEB_CONCURRENCY": "2",
    }
    cwd = tmp_path  # away from the source tree: only the installed package is importable
    flask = [str(bin_dir / "flask"), "--app", "expertmatch"]
    upgrade = _run([*flask, "db", "upgrade"], cwd=cwd, env=env)
    assert "0004" in upgrade.stderr + upgrade.stdout  # the package's own migrations ran
    _run([*flask, "seed-demo"], cwd=cwd, env=env)
    logins = _run([*flask, "demo-logins"], cwd=cwd, env=env).stdout
    accounts = re.findall(r"^\s+(\w+)\s+(\S+@\S+)$", logins, re.MULTILINE)
    password = re.search(r"password for all: ([^)]+)\)", logins).group(1)
    assert {role for role, _ in accounts} == {"enterprise", "expert", "coordinator", "network",
                                               "admin"}
    server = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")], cwd=cwd, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if Browser(base).get("/health")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, server.stdout.read()
            time.sleep(0.5)
        anonymous = Browser(base)
        assert anonymous.get("/static/js/app.js")[0] == 200
        status, page = anonymous.get("/auth/login")
        assert status == 200 and 'name="csrf_token"' in page
        pages, languages = 0, set()
        for role, email in accounts:
            browser = Browser(base)
            status, home = browser.login(email, password)
            assert status == 200 and 'action="/auth/logout"' in home, (role, home[:500])
            languages.add(re.search(r'<html lang="([^"]+)"', home).group(1))
            nav = re.search(r'<nav aria-label="[^"]+">(.*?)</nav>', home, re.S).group(1)
            for link in re.findall(r'href="(/[^"]*)"', nav):
                status, page = browser.get(link)
                assert status == 200, (role, link, page[:800])
                pages += 1
        assert pages >= 20
        # Demo accounts read English and Chinese: the wheel's catalogs are used.
        assert languages == {"en", "zh-Hans"}
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
