"""Navigation by role, in one table. Entries whose endpoint is not registered are skipped."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext

from expertmatch.vocabulary import N_

NAVIGATION: dict[str, list[tuple[str, str]]] = {
    "enterprise": [
        ("main.landing", N_("Home")),
        ("cases.new_case", N_("File a dispute")),
        ("cases.my_cases", N_("My cases")),
        ("network.warnings", N_("Warnings")),
    ],
    "expert": [
        ("main.landing", N_("Home")),
        ("experts.edit_profile", N_("My profile")),
        ("experts.my_cases", N_("My cases")),
    ],
    "coordinator": [
        ("coordinator.queue", N_("Queue")),
        ("pool.experts", N_("Experts")),
        ("reports.dashboard", N_("Dashboard")),
        ("coordinator.audit_log", N_("Audit log")),
        ("network.warnings", N_("Warnings")),
        ("network.referrals", N_("Referrals")),
        ("jobs.index", N_("Jobs")),
    ],
    "network": [
        ("main.landing", N_("Home")),
        ("network.dashboard", N_("Network")),
        ("coordinator.queue", N_("Cases")),
        ("reports.dashboard", N_("Dashboard")),
        ("pool.experts", N_("Experts")),
        ("network.centres", N_("Centres")),
        ("network.warnings", N_("Warnings")),
        ("coordinator.audit_log", N_("Audit log")),
    ],
    "admin": [
        ("main.landing", N_("Home")),
        ("network.dashboard", N_("Network")),
        ("network.centres", N_("Centres")),
        ("network.warnings", N_("Warnings")),
        ("pool.experts", N_("Experts")),
        ("coordinator.audit_log", N_("Audit log")),
        ("jobs.index", N_("Jobs")),
        ("credentials.platform_keys", N_("API keys")),
    ],
}


def nav_items(user) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [
        (endpoint, gettext(label))
        for endpoint, label in NAVIGATION.get(user.role, [])
        if endpoint in current_app.view_functions
    ]
