"""The matching engine is a pure library: importing it pulls in no web or ORM framework."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import expertmatch.matching

PACKAGE = Path(expertmatch.matching.__file__).parent
ROOT = PACKAGE.parents[1]


def test_import_pulls_in_no_flask_sqlalchemy_or_model() -> None:
    code = (
        "import expertmatch.matching, expertmatch.cli, sys; "
        "bad = [m for m in ('flask', 'sqlalchemy', 'flask_sqlalchemy', 'expertmatch.models', "
        "'torch', 'sentence_transformers') if m in sys.modules]; "
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, f"imported: {result.stdout} {result.stderr}"


def test_no_source_file_imports_the_web_layer() -> None:
    pattern = re.compile(r"^\s*(from|import)\s+(flask|sqlalchemy|expertmatch\.models)\b", re.M)
    for path in [*PACKAGE.rglob("*.py"), ROOT / "expertmatch" / "cli.py"]:
        assert not pattern.search(path.read_text(encoding="utf-8")), path
