"""Capacity and case updates hold when many people act at the same moment (PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from expertmatch.extensions import db
from expertmatch.models import Assignment, AuditEvent, DisputeCase, ExpertProfile, User
from expertmatch.services import assignments
from tests import factories

pytestmark = pytest.mark.postgres

ATTEMPTS = 50


@pytest.fixture
def pg_app(pg_database):  # type: ignore[no-untyped-def]
    from tests.conftest import make_app

    app = make_app(pg_database, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 20, "max_overflow": 40})
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def _run_all(app, work, n):  # type: ignore[no-untyped-def]
    """Run ``work(i)`` in ``n`` threads released together; return the outcomes."""
    barrier = threading.Barrier(n)

    def one(i: int) -> str:
        with app.app_context():
            barrier.wait()
            try:
                return work(i)
            except assignments.CapacityError:
                return "capacity"
            except assignments.ConcurrentUpdate:
                return "concurrent"
            except assignments.AssignmentError as error:
                return f"refused:{error.code}"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def test_fifty_proposals_for_the_last_slot_store_exactly_one(pg_app):  # type: ignore[no-untyped-def]
    with pg_app.app_context():
        centres = [factories.centre(), factories.centre()]
        coordinators = [factories.user("coordinator", centre_id=c.id) for c in centres]
        org = factories.organisation()
        expert = factories.expert_profile(capacity=2, external_load=1)  # one free slot
        cases = [
            factories.dispute_case(org.id, centre_id=centres[i % 2].id) for i in range(ATTEMPTS)
        ]
        ids = (expert.id, [c.id for c in cases], [u.id for u in coordinators])

    def propose(i: int) -> str:
        expert_id, case_ids, coordinator_ids = ids
        assignments.propose(
            db.session.get(DisputeCase, case_ids[i]),
            db.session.get(ExpertProfile, expert_id),
            db.session.get(User, coordinator_ids[i % 2]),
        )
        return "stored"

    outcomes = _run_all(pg_app, propose, ATTEMPTS)
    assert outcomes.count("stored") == 1
    assert outcomes.count("capacity") == ATTEMPTS - 1
    with pg_app.app_context():
        assert db.session.scalar(select(func.count(Assignment.id))) == 1
        proposed = select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "assignment.proposed"
        )
        assert db.session.scalar(proposed) == 1


def test_two_coordinators_closing_one_case_lose_no_update(pg_app):  # type: ignore[no-untyped-def]
    with pg_app.app_context():
        centre = factories.centre()
        coordinators = [factories.user("coordinator", centre_id=centre.id) for _ in range(2)]
        case = factories.dispute_case(factories.organisation().id, centre_id=centre.id)
        ids = (case.id, [u.id for u in coordinators])

    outcomes_by_thread = ("settled", "lost")

    def close(i: int) -> str:
        case_id, coordinator_ids = ids
        case = db.session.get(DisputeCase, case_id)
        assignments.close_case(
            case, db.session.get(User, coordinator_ids[i]), outcomes_by_thread[i]
        )
        return outcomes_by_thread[i]

    outcomes = _run_all(pg_app, close, 2)
    winners = [o for o in outcomes if o in outcomes_by_thread]
    assert len(winners) == 1
    assert set(outcomes) - set(winners) <= {"concurrent", "refused:closed"}
    with pg_app.app_context():
        case = db.session.get(DisputeCase, ids[0])
        assert case.outcome == winners[0]
        closed = select(func.count(AuditEvent.id)).where(AuditEvent.action == "case.closed")
        assert db.session.scalar(closed) == 1


def test_two_coordinators_withdrawing_one_proposal_record_it_once(pg_app):  # type: ignore[no-untyped-def]
    with pg_app.app_context():
        centre = factories.centre()
        coordinators = [factories.user("coordinator", centre_id=centre.id) for _ in range(2)]
        case = factories.dispute_case(factories.organisation().id, centre_id=centre.id)
        expert = factories.expert_profile()
        assignment = assignments.propose(case, expert, coordinators[0])
        ids = (assignment.id, [u.id for u in coordinators])

    def withdraw(i: int) -> str:
        assignment_id, coordinator_ids = ids
        assignments.withdraw(
            db.session.get(Assignment, assignment_id), db.session.get(User, coordinator_ids[i])
        )
        return "withdrawn"

    outcomes = _run_all(pg_app, withdraw, 2)
    assert sorted(outcomes) == ["refused:status", "withdrawn"]
    with pg_app.app_context():
        withdrawn = select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "assignment.withdrawn"
        )
        assert db.session.scalar(withdrawn) == 1
