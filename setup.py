"""Packaging beyond setup.cfg: the top-level ``templates/``, ``migrations/`` and ``data/``
folders are mapped into the package (``expertmatch/templates`` ... in an installed copy), so
that a wheel serves every page, finds its migrations and reads its rule tables."""

from setuptools import find_packages, setup

MAPPED = {
    "expertmatch.templates": "templates",
    "expertmatch.migrations": "migrations",
    "expertmatch.data": "data",
}

setup(
    packages=find_packages(include=["expertmatch", "expertmatch.*"]) + list(MAPPED),
    package_dir=MAPPED,
    package_data={
        "expertmatch": ["static/**/*", "translations/*.cfg", "translations/*/LC_MESSAGES/*"],
        "expertmatch.templates": ["**/*.html"],
        "expertmatch.migrations": ["README", "alembic.ini", "script.py.mako", "versions/*.py"],
        "expertmatch.data": ["*.json", "*.jsonl", "*.tsv", "*.txt", "*.md", "demo/*"],
    },
)
