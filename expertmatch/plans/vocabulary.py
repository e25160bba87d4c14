"""The team roles a coordinator can ask for (codes of ``matching.team.ROLE_ALIASES``)."""

from expertmatch.vocabulary import N_

TEAM_ROLES: dict[str, str] = {
    "counsel": N_("Counsel (lawyer or patent attorney)"),
    "lawyer": N_("Lawyer"),
    "patent_attorney": N_("Patent attorney"),
    "technical_expert": N_("Technical expert"),
    "frand_economist": N_("FRAND economist"),
    "mediator": N_("Mediator / arbitrator"),
}

# Why a batch row has fewer experts than asked, or a weaker one than its best candidate.
SHORTFALL_LABELS: dict[str, str] = {
    "no_eligible": N_("No eligible expert: every expert of the pool is excluded for this case."),
    "below_min_fit": N_("No expert reaches the minimum fit."),
    "at_capacity": N_("Its better candidates are at capacity with other cases of the plan."),
    "firm_limit": N_("Its better candidates' firms have reached the firm limit."),
    "capacity_and_firm_limit": N_(
        "Its better candidates are at capacity or their firms at the firm limit."
    ),
    "coverage": N_("Experts were chosen to cover the required languages or forums."),
}

# Why a team requirement stayed uncovered.
UNCOVERED_LABELS: dict[str, str] = {
    "no_role": N_("Nobody in the pool has this role."),
    "no_jurisdiction": N_("Nobody with this role is admitted in this jurisdiction."),
    "no_language": N_("Nobody with this role and admission speaks this language."),
    "all_excluded": N_("Everyone who fits is excluded (conflict, availability or capacity)."),
    "taken": N_("Everyone who fits already fills another seat of the team."),
    "budget": N_("Everyone who fits would exceed the budget."),
    "firm_limit": N_("Everyone who fits would exceed the firm limit."),
}

# Hard-rule exclusions, counted per batch row ("3 × conflict with a counterparty").
EXCLUSION_LABELS: dict[str, str] = {
    "conflict_counterparty": N_("conflict with a counterparty"),
    "conflict_counsel": N_("conflict with the other side's counsel"),
    "firm_is_counsel": N_("their firm represents the other side"),
    "conflict_enterprise": N_("conflict with the enterprise"),
    "unavailable": N_("not available"),
    "absent": N_("absent"),
    "at_capacity": N_("at full capacity"),
}
