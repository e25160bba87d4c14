"""Where the top-level folders (templates, migrations, data) are: beside the package in a
source checkout, inside it (``expertmatch/<name>``) in an installed wheel (see setup.py)."""

from __future__ import annotations

import os

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(PACKAGE_DIR)


def resource_dir(name: str) -> str:
    """The folder ``name`` of this copy of ExpertMatch."""
    beside = os.path.join(SOURCE_ROOT, name)
    inside = os.path.join(PACKAGE_DIR, name)
    if os.path.isdir(inside) and not os.path.isdir(beside):
        return inside
    return beside if os.path.isdir(beside) else inside
