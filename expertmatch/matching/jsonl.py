"""Reading JSON Lines with line numbers, and writing output files atomically.

Every error in an input file is reported as ``FILE:LINE: message`` so a data editor can jump to
it; outputs are written to a temporary file and renamed, so a failed run never leaves a partial
or stale-looking result behind.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

from expertmatch.matching.errors import InputError

__all__ = ["atomic_writer", "read_jsonl"]

T = TypeVar("T")

# JSON may escape a lone UTF-16 surrogate ("\ud800"), which no UTF-8 text can hold.
_LONE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _encodable(data: Any) -> bool:
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_jsonl(
    path: str | os.PathLike[str],
    parse: Callable[[Any], T],
    *,
    unique_id: Callable[[T], str] | None = None,
) -> list[T]:
    """Parse every non-blank line of ``path`` with ``parse``.

    Raises :class:`InputError` whose message starts with ``FILE:LINE:`` for invalid JSON, for a
    line ``parse`` rejects, and (with ``unique_id``) for an id seen on an earlier line.
    """
    path = Path(path)
    try:
        handle = path.open(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    out: list[T] = []
    seen: dict[str, int] = {}
    with handle:
        lineno = 0
        try:
            for lineno, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"{path}:{lineno}: invalid JSON: {exc.msg}") from None
                if _LONE_SURROGATE.search(line) and not _encodable(data):
                    raise InputError(
                        f"{path}:{lineno}: invalid text: a \\uD800-\\uDFFF escape that is not "
                        "part of a surrogate pair"
                    )
                try:
                    item = parse(data)
                except InputError as exc:
                    raise InputError(f"{path}:{lineno}: {exc.message}") from None
                if unique_id is not None:
                    key = unique_id(item)
                    if key in seen:
                        raise InputError(
                            f"{path}:{lineno}: id {key!r} already used on line {seen[key]}"
                        )
                    seen[key] = lineno
                out.append(item)
        except UnicodeDecodeError:
            raise InputError(f"{path}:{lineno + 1}: not valid UTF-8") from None
    return out


@contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[IO[str]]:
    """Open a temporary file beside ``path``; rename it over ``path`` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
