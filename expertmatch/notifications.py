"""The texts of in-app notifications, by kind, rendered in the reader's language.

Messages are msgids marked with ``N_`` and translated at display time, so a
notification reads in the language of whoever opens it, not of whoever caused it.
"""

from __future__ import annotations

from flask_babel import gettext

from expertmatch.models import Notification
from expertmatch.vocabulary import N_

TEXTS = {
    "case.submitted": N_("New case %(ref)s needs triage."),
    "case.referred": N_("Case %(ref)s was referred to your centre."),
    "case.status": N_("Your case %(ref)s is now: %(status)s."),
    "case.message": N_("New message on case %(ref)s."),
    "proposal.new": N_("You are proposed for case %(ref)s. Please answer."),
    "proposal.accepted": N_("%(expert)s accepted case %(ref)s."),
    "proposal.declined": N_("%(expert)s declined case %(ref)s."),
    "proposal.withdrawn": N_("The proposal for case %(ref)s was withdrawn."),
    "case.assigned": N_("An expert has accepted your case %(ref)s."),
    "warning.published": N_("New risk warning: %(title)s"),
    "referral.accepted": N_("Your referral of case %(ref)s was accepted: the case moved."),
    "referral.returned": N_("Your referral of case %(ref)s was returned with a note."),
    "case.deadline_risk": N_("The response deadline of case %(ref)s is close or past "
                             "(%(days)s days left)."),
    "cluster.suggested": N_("%(cases)s cases of several centres share a counterparty, counsel "
                            "or forum: consider a risk warning."),
}


def notification_text(note: Notification) -> str:
    params = {k: str(v) for k, v in (note.params or {}).items()}
    if "status" in params:
        from expertmatch.i18n import code_name

        params["status"] = code_name("status", params["status"])
    msgid = TEXTS.get(note.kind)
    if msgid is None:
        return note.kind
    try:
        return gettext(msgid, **params)
    except (KeyError, ValueError):
        return gettext(msgid.split("%")[0].strip())
