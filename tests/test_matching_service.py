"""The matching engine inside the app: stored vectors, incremental sync, hard rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from expertmatch.extensions import db
from expertmatch.models import DeclaredConflict, Entity, EntityAlias, PastMatter, TextVector
from expertmatch.services import matching
from tests import factories
from tests.conftest import REAL_MODEL, make_app

SEP_GERMANY = {
    "full_name": "Dr. Katrin Albers",
    "headline": "SEP litigator, Munich and UPC",
    "bio": "Defends handset makers against LTE and 5G standard-essential patent injunctions "
    "before the Munich and Mannheim regional courts and the UPC; FRAND defence under "
    "Huawei v ZTE.",
    "jurisdictions": ["DE", "UPC"],
    "dispute_types": ["sep_frand", "patent_infringement"],
    "industries": ["telecom"],
    "matters": [
        {
            "title": "LTE SEP injunction, Regional Court Munich I",
            "summary": "Defended a Chinese smartphone maker against an injunction over two LTE "
            "SEPs; FRAND counter-offer and security; stay pending nullity.",
            "year": 2024,
            "jurisdiction": "DE",
            "dispute_type": "sep_frand",
        },
    ],
}
TRADEMARK_BRAZIL = {
    "full_name": "Ana Ribeiro",
    "headline": "Trademark prosecution and oppositions in Brazil",
    "bio": "Bad-faith trademark filings, INPI oppositions and nullity actions in Brazil.",
    "jurisdictions": ["BR"],
    "dispute_types": ["trademark"],
    "industries": ["consumer_goods"],
    "matters": [
        {
            "title": "INPI opposition against a squatted mark",
            "summary": "Opposed a distributor's bad-faith filing of a Chinese appliance brand.",
            "year": 2023,
            "jurisdiction": "BR",
            "dispute_type": "trademark",
        },
    ],
}


def _sep_case(**kw):  # type: ignore[no-untyped-def]
    org = factories.organisation()
    return factories.dispute_case(
        org.id,
        title=kw.pop("title", "LTE SEP injunction in Munich"),
        description=kw.pop(
            "description",
            "Nordvik sued us at the Regional Court Munich I over two LTE standard-essential "
            "patents and asks for an injunction; we need a FRAND defence.",
        ),
        dispute_type="sep_frand",
        jurisdictions=["DE"],
        **kw,
    )


@pytest.fixture
def real_app(database_url):  # type: ignore[no-untyped-def]
    app = make_app(database_url, EMBEDDING_MODEL=REAL_MODEL)
    with app.app_context():
        db.drop_all()
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()


@pytest.mark.model
def test_sep_case_ranks_the_german_sep_litigator_first(real_app):  # type: ignore[no-untyped-def]
    brazil = factories.expert_profile(**TRADEMARK_BRAZIL)
    germany = factories.expert_profile(**SEP_GERMANY)
    ranking = matching.rank_case(_sep_case())
    assert not ranking.degraded
    assert [r.expert.id for r in ranking.ranked][:2] == [germany.id, brazil.id]
    top = ranking.ranked[0].explanation
    # The explanation points at one of the German litigator's own texts (which one scores
    # highest is the model's call: the profile and the Munich matter are close).
    assert top["best_text"]["title"] in {"Profile", "LTE SEP injunction, Regional Court Munich I"}
    assert top["best_text"]["cosine"] > 0.3
    assert top["matched"]["dispute_type"] == "sep_frand"


def test_vectors_are_stored_once_and_only_changed_texts_reencoded(ctx):  # type: ignore[no-untyped-def]
    expert = factories.expert_profile(**SEP_GERMANY)
    factories.expert_profile(**TRADEMARK_BRAZIL)
    matching.rank_case(_sep_case())
    stored = db.session.scalar(select(func.count(TextVector.id)))
    assert stored == 4  # two experts x (profile + one matter)
    matter = db.session.scalar(select(PastMatter).where(PastMatter.expert_id == expert.id))
    matter.summary += " Settled after the hearing."
    db.session.commit()
    assert matching.expert_changed(expert) == 1
    assert db.session.scalar(select(func.count(TextVector.id))) == 4
    # Nothing changed: nothing encoded.
    assert matching.expert_changed(expert) == 0


def test_a_profile_change_is_visible_in_the_next_ranking(ctx):  # type: ignore[no-untyped-def]
    expert = factories.expert_profile(**SEP_GERMANY)
    case = _sep_case()
    assert [r.expert.id for r in matching.rank_case(case).ranked] == [expert.id]
    expert.availability = "inactive"
    db.session.commit()
    matching.expert_changed(expert)
    ranking = matching.rank_case(case)
    assert ranking.ranked == []
    assert [(e.expert.id, e.reason_code) for e in ranking.excluded] == [(expert.id, "unavailable")]


def test_changes_made_elsewhere_are_synced_incrementally(ctx):  # type: ignore[no-untyped-def]
    """Another worker changed the profile: the new updated_at is enough to pick it up."""
    expert = factories.expert_profile(**SEP_GERMANY)
    case = _sep_case()
    matching.rank_case(case)
    expert.conflicts.append(DeclaredConflict(entity_name="Nordvik Telecom Oy", relation="client"))
    db.session.commit()  # updated_at moves (onupdate), no call to expert_changed
    ranking = matching.rank_case(case)
    assert [e.reason_code for e in ranking.excluded] == ["conflict_counterparty"]


@pytest.mark.parametrize(
    "counterparty",
    ["Huawei Technologies Co., Ltd.", "HUAWEI", "华为技术有限公司", "Huawei Device USA Inc."],
)
def test_conflict_excludes_whatever_the_spelling(ctx, counterparty):  # type: ignore[no-untyped-def]
    parent = Entity(name="Huawei Technologies Co., Ltd.")
    parent.aliases = [EntityAlias(name="HUAWEI"), EntityAlias(name="华为技术有限公司")]
    db.session.add(parent)
    db.session.flush()
    db.session.add(Entity(name="Huawei Device USA Inc.", parent_id=parent.id))
    db.session.commit()
    conflicted = factories.expert_profile(
        **SEP_GERMANY, conflicts=[{"entity_name": "华为技术有限公司", "relation": "client"}]
    )
    free = factories.expert_profile(**{**SEP_GERMANY, "full_name": "Free Expert"})
    case = _sep_case(counterparties=[{"name_en": counterparty}])
    ranking = matching.rank_case(case, top_k=0)
    assert [r.expert.id for r in ranking.ranked] == [free.id]
    assert ranking.excluded[0].expert.id == conflicted.id
    assert "华为技术有限公司" in ranking.excluded[0].reason
    assert matching.hard_rule_reason(case, conflicted)
    assert matching.hard_rule_reason(case, free) is None


def test_shared_generic_words_do_not_exclude(ctx):  # type: ignore[no-untyped-def]
    factories.expert_profile(
        **SEP_GERMANY, conflicts=[{"entity_name": "Veridian Technology Inc.", "relation": "client"}]
    )
    case = _sep_case(counterparties=[{"name_en": "Nordvik Technology Oy"}])
    assert matching.rank_case(case).excluded == []


def test_expired_conflict_and_absence(ctx):  # type: ignore[no-untyped-def]
    past = date.today() - timedelta(days=1)
    expert = factories.expert_profile(
        **SEP_GERMANY,
        conflicts=[{"entity_name": "Nordvik Telecom Oy", "relation": "client", "until": past}],
        availability="absent",
        absent_until=date.today() + timedelta(days=10),
    )
    ranking = matching.rank_case(_sep_case())
    assert [(e.expert.id, e.reason_code) for e in ranking.excluded] == [(expert.id, "absent")]


def test_load_counts_across_centres_for_capacity(ctx):  # type: ignore[no-untyped-def]
    from expertmatch.services import assignments

    expert = factories.expert_profile(**SEP_GERMANY, capacity=1)
    first = _sep_case()
    other_centre = factories.centre()
    second = _sep_case(centre_id=other_centre.id)
    coordinator = factories.user("coordinator")
    assignments.propose(first, expert, coordinator)
    ranking = matching.rank_case(second)
    assert [(e.expert.id, e.reason_code) for e in ranking.excluded] == [(expert.id, "at_capacity")]


def test_degraded_mode_ranks_without_the_model(database_url):  # type: ignore[no-untyped-def]
    app = make_app(database_url, EMBEDDING_MODEL="/nonexistent/model-folder")
    with app.app_context():
        db.drop_all()
        db.create_all()
        germany = factories.expert_profile(**SEP_GERMANY)
        factories.expert_profile(**TRADEMARK_BRAZIL)
        ranking = matching.rank_case(_sep_case())
        assert ranking.degraded
        assert ranking.ranked[0].expert.id == germany.id
        assert "EXPERTMATCH_EMBEDDING_MODEL" in matching.model_status()["error"]
        db.session.remove()
        db.drop_all()
