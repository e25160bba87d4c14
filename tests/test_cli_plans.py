"""``expertmatch assign`` and ``expertmatch team``: the batch planner and team assembly from files.

Ranking here uses the demo data with the hashing encoder (plumbing, milliseconds); the solver's
optimality is proven in ``tests/matching/test_assignment.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from expertmatch.cli import main

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
COMMON = [
    "--experts", str(DEMO / "experts.jsonl"),
    "--cases", str(DEMO / "cases.jsonl"),
    "--model", "hashing:64",
]  # fmt: skip
SEP_ROLES = [
    {"role": "counsel", "jurisdiction": "DE"},
    {"role": "counsel", "jurisdiction": "UPC"},
    {"role": "counsel", "jurisdiction": "CN", "language": "zh"},
    {"role": "technical expert"},
    {"role": "FRAND economist"},
]


def _experts() -> dict[str, dict]:
    lines = (DEMO / "experts.jsonl").read_text(encoding="utf-8").splitlines()
    return {e["id"]: e for e in map(json.loads, lines)}


def test_assign_writes_one_line_per_case_within_capacity(tmp_path: Path, capsys) -> None:
    out = tmp_path / "plan.jsonl"
    assert main(["assign", *COMMON, "--firm-limit", "2", "--output", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    cases = (DEMO / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    assert [r["case_id"] for r in rows] == [json.loads(c)["id"] for c in cases]
    experts = _experts()
    load: dict[str, int] = {}
    firms: dict[str, int] = {}
    for row in rows:
        assert len(row["experts"]) <= 1
        if not row["experts"]:
            assert row["reason"]["short"] and row["reason"]["text"]
        for item in row["experts"]:
            load[item["expert_id"]] = load.get(item["expert_id"], 0) + 1
            firm = experts[item["expert_id"]].get("firm")
            if firm:
                firms[firm] = firms.get(firm, 0) + 1
    for expert_id, n in load.items():
        e = experts[expert_id]
        assert n <= e["capacity"] - e.get("active_cases", 0)
    assert max(firms.values()) <= 2
    assert "optimal: True" in capsys.readouterr().err


def test_fair_mode_never_serves_the_worst_case_worse(tmp_path: Path) -> None:
    worst = {}
    for mode in ("total", "fair"):
        out = tmp_path / f"{mode}.jsonl"
        assert main(["assign", *COMMON, "--mode", mode, "--output", str(out)]) == 0
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        worst[mode] = min(r["experts"][0]["fit"] if r["experts"] else 0.0 for r in rows)
    assert worst["fair"] >= worst["total"]


def test_team_covers_the_sep_forums_or_names_the_gap(tmp_path: Path) -> None:
    roles = tmp_path / "roles.json"
    roles.write_text(json.dumps(SEP_ROLES), encoding="utf-8")
    out = tmp_path / "team.json"
    args = ["team", *COMMON, "--case-id", "C001", "--roles", str(roles), "--output", str(out)]
    assert main(args) == 0
    team = json.loads(out.read_text(encoding="utf-8"))
    covered = {m["role"] for m in team["team"]}
    named = {json.dumps(u["requirement"], sort_keys=True) for u in team["uncovered"]}
    experts = _experts()
    for need in SEP_ROLES:
        label = ", ".join(v for k, v in need.items() if k != "count")
        assert label in covered or any(need["role"] in n for n in named)
    members = [m["expert_id"] for m in team["team"]]
    assert len(set(members)) == len(members)
    for m in team["team"]:
        if ", DE" in m["role"]:
            assert "DE" in experts[m["expert_id"]]["jurisdictions"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[{"role": "counsel"},\n {"role": "wizard"}]', "requirement 2: unknown role"),
        ('[{"role": "counsel",\n "count": 0}]', "requirement 1: field 'count'"),
        ('[{"role": "counsel"}\n {"role": "x"}]', ":2: not valid JSON"),
        ("{}", "non-empty JSON list"),
    ],
)
def test_team_refuses_bad_roles_with_a_located_message(
    tmp_path: Path, capsys, content: str, message: str
) -> None:
    roles = tmp_path / "roles.json"
    roles.write_text(content, encoding="utf-8")
    out = tmp_path / "team.json"
    args = ["team", *COMMON, "--case-id", "C001", "--roles", str(roles), "--output", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


def test_assign_refuses_a_malformed_cases_file_and_writes_nothing(tmp_path: Path, capsys) -> None:
    cases = tmp_path / "cases.jsonl"
    good = (DEMO / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    cases.write_text("\n".join([good[0], '{"id": "X", "title": 5}', *good[1:3]]) + "\n")
    out = tmp_path / "plan.jsonl"
    assert main(["assign", *COMMON, "--cases", str(cases), "--output", str(out)]) == 2
    assert f"{cases}:2: " in capsys.readouterr().err
    assert not out.exists()


def test_assign_refuses_bad_options(tmp_path: Path, capsys) -> None:
    out = tmp_path / "plan.jsonl"
    assert main(["assign", *COMMON, "--per-case", "0", "--output", str(out)]) == 2
    assert "--per-case" in capsys.readouterr().err
    assert main(["assign", *COMMON, "--firm-limit", "0", "--output", str(out)]) == 2
    assert not out.exists()
