"""Benchmark of the intake reader (issue #16): prints figures measured in one run.

    python bench/bench_intake.py [--model SPEC] [--skip-ranking]

1. On the held-out split of the written set (``data/intake/descriptions.jsonl``, ``split:
   test``), with a reader trained on the ``train`` split only: dispute-type accuracy, and per
   field (dispute type, jurisdictions / forums, industry, counterparties) micro precision,
   recall and F1, for English and Chinese descriptions separately. Targets: dispute type
   accuracy >= 0.9 and jurisdictions / industry micro-F1 >= 0.85 in each language.
2. Ranking the demo cases against the demo labels with the real model: full structured fields
   vs every structured field removed (dispute type, jurisdictions, forum, industry, languages,
   SEP standard, counterparties) with the reader off vs on. nDCG@5 per case language; target:
   the loss against full fields <= 0.03 with the reader on, in each language.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from expertmatch.matching import (
    CommonParties,
    EntityResolver,
    Glossary,
    Matcher,
    case_from_dict,
    expert_from_dict,
    load_encoder,
)
from expertmatch.matching.evaluation import evaluate, label_from_dict, labels_by_case
from expertmatch.matching.intake import (
    IntakeReader,
    apply_reading,
    load_examples,
    strip_structure,
)
from expertmatch.matching.jsonl import read_jsonl

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    return p, r, f


def held_out(reader: IntakeReader) -> dict[str, dict[str, object]]:
    """Per language: dispute accuracy and micro P/R/F1 per field on the test split."""
    examples = [e for e in load_examples(DATA / "intake" / "descriptions.jsonl")]
    out: dict[str, dict[str, object]] = {}
    for lang in ("en", "zh"):
        test = [e for e in examples if e.split == "test" and e.lang == lang]
        counts = {
            f: [0, 0, 0] for f in ("dispute_type", "jurisdictions", "industry", "counterparties")
        }
        correct = 0
        for e in test:
            reading = reader.read(e.text, lang=e.lang)
            gold = {
                "dispute_type": {e.dispute_type},
                "jurisdictions": set(e.jurisdictions),
                "industry": {e.industry} if e.industry else set(),
                "counterparties": set(e.counterparties),
            }
            correct += reading.values("dispute_type") == [e.dispute_type]
            for field, want in gold.items():
                got = set(reading.values(field))
                c = counts[field]
                c[0] += len(got & want)
                c[1] += len(got - want)
                c[2] += len(want - got)
        out[lang] = {"n": len(test), "dispute_accuracy": correct / len(test)}
        for field, (tp, fp, fn) in counts.items():
            out[lang][field] = _prf(tp, fp, fn)
    return out


def ranking(model: str) -> dict[str, dict[str, float]]:
    """nDCG@5 per case language: full fields, removed (reader off), removed (reader on)."""
    demo = DATA / "demo"
    experts = read_jsonl(demo / "experts.jsonl", expert_from_dict)
    cases = read_jsonl(demo / "cases.jsonl", case_from_dict)
    labels = labels_by_case(read_jsonl(demo / "labels.jsonl", label_from_dict))
    today = __import__("datetime").date.fromisoformat(
        json.loads((demo / "meta.json").read_text())["anchor_date"]
    )
    encoder = None if model == "none" else load_encoder(model or None)
    matcher = Matcher(
        encoder,
        resolver=EntityResolver.from_file(DATA / "entities.jsonl"),
        common_parties=CommonParties.from_file(DATA / "common_parties.txt"),
        glossary=Glossary.from_file(DATA / "glossary.tsv"),
    )
    matcher.index_experts(experts)
    reader = IntakeReader.from_data(DATA, split=None)
    stripped = [strip_structure(c) for c in cases]
    variants = {
        "full fields": cases,
        "removed, reader off": stripped,
        "removed, reader on": [apply_reading(c, reader.read_case(c)) for c in stripped],
    }
    out: dict[str, dict[str, float]] = {}
    for name, docs in variants.items():
        report = evaluate(matcher, docs, labels, today=today)
        out[name] = {lang: m["ndcg@5"] for lang, m in report.by_language.items()}
        out[name]["all"] = report.overall["ndcg@5"]
        out[name]["conflicted"] = report.overall.get("conflicted", 0.0)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="", help="embedding model spec (default: the setting)")
    parser.add_argument("--skip-ranking", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    reader = IntakeReader.from_data(DATA, split="train")
    trained = time.perf_counter() - started
    print(f"intake reader: trained on {reader.n_examples} written descriptions in {trained:.2f} s")
    print("held-out split (trained on the train split only)")
    print(
        f"{'lang':<5}{'n':>4}{'dispute acc':>13}"
        + "".join(
            f"{f + ' P/R/F1':>30}"
            for f in ("dispute_type", "jurisdictions", "industry", "counterparties")
        )
    )
    ok = True
    for lang, m in held_out(reader).items():
        cells = ""
        for f in ("dispute_type", "jurisdictions", "industry", "counterparties"):
            p, r, f1 = m[f]  # type: ignore[misc]
            cells += f"{p:>10.3f}{r:>10.3f}{f1:>10.3f}"
        print(f"{lang:<5}{m['n']:>4}{m['dispute_accuracy']:>13.3f}{cells}")
        ok &= m["dispute_accuracy"] >= 0.9 and m["jurisdictions"][2] >= 0.85  # type: ignore[index]
        ok &= m["industry"][2] >= 0.85  # type: ignore[index]
    print(
        f"targets (dispute acc >= 0.9, jurisdictions and industry F1 >= 0.85): "
        f"{'met' if ok else 'MISSED'}"
    )
    if args.skip_ranking:
        return 0
    print("\nranking the demo cases (nDCG@5 on the demo labels)")
    results = ranking(args.model)
    langs = sorted(k for k in results["full fields"] if k not in ("all", "conflicted"))
    print(f"{'':<22}" + "".join(f"{x:>8}" for x in [*langs, "all"]) + f"{'conflicted':>12}")
    for name, row in results.items():
        print(
            f"{name:<22}"
            + "".join(f"{row.get(x, float('nan')):>8.3f}" for x in [*langs, "all"])
            + f"{row['conflicted']:>12.2f}"
        )
    for lang in langs:
        loss_off = results["full fields"][lang] - results["removed, reader off"][lang]
        loss_on = results["full fields"][lang] - results["removed, reader on"][lang]
        verdict = "met" if loss_on <= 0.03 else "MISSED"
        print(
            f"{lang}: loss vs full fields {loss_off:+.3f} reader off, {loss_on:+.3f} reader on "
            f"(target <= 0.03: {verdict})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
