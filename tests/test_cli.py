"""The ``expertmatch`` console script: rank, evaluate, tune, and its error handling.

Most tests use the hashing encoder (``--model hashing:64``) so they run in milliseconds; the
model-quality tests live in ``tests/matching/test_quality.py``.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expertmatch.cli import main

DATA = Path(__file__).parent / "matching" / "data"
COMMON = [
    "--experts", str(DATA / "experts.jsonl"),
    "--cases", str(DATA / "cases.jsonl"),
    "--entities", str(DATA / "entities.jsonl"),
    "--today", "2026-11-30",
    "--model", "hashing:64",
]  # fmt: skip


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_rank_writes_one_line_per_case(tmp_path: Path) -> None:
    out = tmp_path / "ranking.jsonl"
    assert main(["rank", *COMMON, "--top-k", "3", "--explain", "--output", str(out)]) == 0
    lines = _lines(out)
    assert [line["case_id"] for line in lines] == ["C01", "C02", "C03"]
    first = lines[0]
    assert len(first["ranking"]) == 3
    top = first["ranking"][0]
    assert set(top) == {"expert_id", "score", "fit", "band", "evidence", "explanation"}
    assert 0.0 < top["fit"] < 1.0 and top["band"] in ("strong", "good", "weak")
    assert top["score"] == top["fit"] and first["best_fit"] == top["fit"]
    assert {e["kind"] for e in top["evidence"]} >= {"keywords", "language_pair"}
    assert {"best_text", "matched", "shared_terms", "channels"} <= set(
        first["ranking"][0]["explanation"]
    )
    excluded = {e["expert_id"]: e for e in first["excluded"]}
    assert excluded["E02"]["reason_code"] == "conflict_counterparty"
    assert "Nordvik" in excluded["E02"]["reason"]
    assert not list(tmp_path.glob(".*tmp"))  # no temp file left behind


def test_rank_to_stdout_all_experts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rank", *COMMON, "--top-k", "0"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(lines) == 3
    first = lines[0]
    assert len(first["ranking"]) + len(first["excluded"]) == 16
    assert "explanation" not in first["ranking"][0]


def test_identical_runs_give_identical_files(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    main(["rank", *COMMON, "--explain", "-o", str(a)])
    main(["rank", *COMMON, "--explain", "-o", str(b)])
    assert a.read_bytes() == b.read_bytes()


def test_vector_cache_file_is_reused(tmp_path: Path) -> None:
    cache = tmp_path / "vectors.npz"
    out1, out2 = tmp_path / "1.jsonl", tmp_path / "2.jsonl"
    assert main(["rank", *COMMON, "--cache", str(cache), "-o", str(out1)]) == 0
    assert cache.exists()
    assert main(["rank", *COMMON, "--cache", str(cache), "-o", str(out2)]) == 0
    assert out1.read_bytes() == out2.read_bytes()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "invalid JSON"),
        ('{"id": "E77", "bio": "x", "jurisdictions": "DE"', "invalid JSON"),
        ('{"id": "E77", "bio": "x", "capacity": "four"}', "'capacity' must be a number"),
        ('{"id": "E01", "bio": "duplicate id"}', "already used on line 1"),
        ('{"bio": "no id"}', "'id' is required"),
    ],
)
def test_bad_line_reports_file_and_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, message: str
) -> None:
    experts = tmp_path / "experts.jsonl"
    good = (DATA / "experts.jsonl").read_text(encoding="utf-8").splitlines()
    experts.write_text("\n".join([*good[:3], "", line, *good[3:]]) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    args = ["rank", *COMMON, "--experts", str(experts), "--output", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"{experts}:5: " in err and message in err
    assert "Traceback" not in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [experts]


def test_missing_model_is_a_clear_error(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out.jsonl"
    code = main(["rank", *COMMON, "--model", str(tmp_path / "no-model"), "-o", str(out)])
    assert code == 3
    err = capsys.readouterr().err
    assert "EXPERTMATCH_EMBEDDING_MODEL" in err and "Traceback" not in err
    assert not out.exists()


def test_model_none_ranks_degraded(capsys) -> None:
    assert main(["rank", *COMMON, "--model", "none", "--top-k", "2"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out.splitlines()[0])["degraded"] is True
    assert "without the dense channel" in captured.err


def _labels(tmp_path: Path) -> Path:
    labels = tmp_path / "labels.jsonl"
    rows = [("C01", "E01", 3), ("C01", "E03", 3), ("C01", "E16", 2), ("C02", "E05", 3),
            ("C03", "E01", 3), ("C03", "E11", 2)]  # fmt: skip
    labels.write_text(
        "".join(
            json.dumps({"case_id": c, "expert_id": e, "relevance": r}) + "\n" for c, e, r in rows
        ),
        encoding="utf-8",
    )
    return labels


def test_evaluate_prints_metrics_per_language(tmp_path: Path, capsys) -> None:
    assert main(["evaluate", *COMMON, "--labels", str(_labels(tmp_path))]) == 0
    out = capsys.readouterr().out
    for column in ("ndcg@5", "ndcg@10", "mrr", "recall@10", "conflicted", "same_lang@5"):
        assert column in out
    assert "\nall " in out and "\nen " in out and "\nzh " in out


def test_evaluate_json(tmp_path: Path, capsys) -> None:
    assert main(["evaluate", *COMMON, "--labels", str(_labels(tmp_path)), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["overall"]["conflicted"] == 0
    assert payload["overall"]["cases"] == 3


def test_tune_reports_cross_validated_weights(tmp_path: Path, capsys) -> None:
    args = ["tune", *COMMON, "--labels", str(_labels(tmp_path)), "--folds", "3", "--step", "0.25"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "cross-validated nDCG@10" in out and "chosen: FusionWeights(" in out


def test_labels_for_unknown_cases_are_rejected(tmp_path: Path, capsys) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"case_id": "C99", "expert_id": "E01", "relevance": 2}\n')
    assert main(["evaluate", *COMMON, "--labels", str(labels)]) == 2
    assert "unknown cases" in capsys.readouterr().err


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
HOSTILE_LINE = st.one_of(
    st.text(max_size=200),
    JSON_VALUES.map(lambda v: json.dumps(v, ensure_ascii=False)),
    st.fixed_dictionaries(
        {"id": st.text(max_size=20) | st.integers()},
        optional={
            "bio": st.text(max_size=300) | st.integers() | st.lists(st.text()),
            "title": st.text(max_size=100) | st.none(),
            "description": st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
            "matters": st.lists(JSON_VALUES, max_size=3) | st.text(),
            "conflicts": st.lists(JSON_VALUES, max_size=3) | st.integers(),
            "counterparties": st.lists(JSON_VALUES, max_size=3) | st.text(),
            "capacity": JSON_VALUES,
            "jurisdictions": JSON_VALUES,
        },
    ).map(lambda d: json.dumps(d, ensure_ascii=False)),
    st.sampled_from(["{", "\x00", '{"id": "x\\u0000", "bio": "\\ud800"}', "[1,2", "null"]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(expert_line=HOSTILE_LINE, case_line=HOSTILE_LINE)
def test_rank_survives_hostile_jsonl(tmp_path_factory, expert_line: str, case_line: str) -> None:  # type: ignore[no-untyped-def]
    """Arbitrary lines: either a ranking, or a FILE:LINE error and no output file at all."""
    folder = tmp_path_factory.mktemp("hostile")
    experts = folder / "experts.jsonl"
    cases = folder / "cases.jsonl"
    good_experts = (DATA / "experts.jsonl").read_text(encoding="utf-8").splitlines()[:3]
    good_cases = (DATA / "cases.jsonl").read_text(encoding="utf-8").splitlines()[:1]
    experts.write_text("\n".join([*good_experts, expert_line]) + "\n", encoding="utf-8")
    cases.write_text("\n".join([*good_cases, case_line]) + "\n", encoding="utf-8")
    out = folder / "out.jsonl"
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        code = main(
            [
                "rank",
                "--experts",
                str(experts),
                "--cases",
                str(cases),
                "--model",
                "hashing:16",
                "--output",
                str(out),
            ]
        )
    err = stderr.getvalue()
    assert "Traceback" not in err
    if code == 0:
        assert out.exists()
    else:
        assert code == 2, err
        assert ".jsonl:" in err
        assert not out.exists()
