"""The ``expertmatch`` console script: rank, evaluate and tune the matching engine from files.

``expertmatch rank``      experts + cases -> JSON Lines, one ranking per case
``expertmatch evaluate``  experts + cases + labels -> nDCG@5/10, MRR, recall@10, conflicts
``expertmatch tune``      experts + cases + labels -> cross-validated fusion weights (the old
                          per-case normalised fusion, kept for comparison)
``expertmatch train``     experts + cases + labels (+ the gold standard) -> the fit model file

Every input file is read and validated before anything is written: a malformed line is reported
as ``FILE:LINE: message`` and the command exits with status 2 without creating the output file
(outputs are written to a temporary file and renamed). A model that cannot be loaded exits with
status 3 and names the setting ``EXPERTMATCH_EMBEDDING_MODEL``; ``--model none`` ranks without
the dense channel on purpose.

This module imports no Flask: the web application's own commands live with the application.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from expertmatch.matching import (
    CaseDoc,
    CommonParties,
    EntityResolver,
    ExpertDoc,
    Glossary,
    InputError,
    Matcher,
    ModelUnavailable,
    Tokenizer,
    VectorCache,
    case_from_dict,
    expert_from_dict,
    load_encoder,
)
from expertmatch.matching.encoders import (
    DEFAULT_MODEL_SPEC,
    DEFAULT_MULTILINGUAL_SPEC,
    MODEL_SETTING,
    MULTILINGUAL_MODEL_SETTING,
    Encoder,
    model_spec_from_env,
    multilingual_spec_from_env,
)
from expertmatch.matching.evaluation import evaluate, label_from_dict, labels_by_case, tune
from expertmatch.matching.fit import MODEL_PATH, FitModel, load_fit_model
from expertmatch.matching.jsonl import atomic_writer, read_jsonl

__all__ = ["main"]

EXIT_INPUT = 2
EXIT_MODEL = 3

# The repository's data folder: entities, common parties and glossary are picked up from here
# when present, so the CLI and the web app apply the same conflict tables by default.
DATA_DIR = Path(
    os.environ.get("EXPERTMATCH_DATA_DIR") or Path(__file__).resolve().parents[1] / "data"
)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {value!r}") from None


def _add_common(parser: argparse.ArgumentParser, *, labels: bool) -> None:
    parser.add_argument("--experts", required=True, type=Path, help="experts JSON Lines file")
    parser.add_argument("--cases", required=True, type=Path, help="cases JSON Lines file")
    if labels:
        parser.add_argument("--labels", required=True, type=Path, help="labels JSON Lines file")
    parser.add_argument(
        "--entities",
        type=Path,
        default=None,
        help="corporate families and aliases (default: data/entities.jsonl if present)",
    )
    parser.add_argument(
        "--common-parties",
        type=Path,
        default=None,
        help="extra common parties, one per line (default: data/common_parties.txt if present)",
    )
    parser.add_argument(
        "--glossary",
        type=Path,
        default=None,
        help="english<TAB>chinese term pairs (default: data/glossary.tsv if present)",
    )
    parser.add_argument(
        "--model",
        default=None,
        help=f"main encoder, English pairs (default: ${MODEL_SETTING} or {DEFAULT_MODEL_SPEC}); "
        "'none' ranks without the dense channel",
    )
    parser.add_argument(
        "--multilingual-model",
        default=None,
        help="encoder for pairs involving Chinese (default: "
        f"${MULTILINGUAL_MODEL_SETTING} or {DEFAULT_MULTILINGUAL_SPEC}); "
        "'none': the main encoder serves every pair",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="vector cache file (.npz); the multilingual encoder's goes beside it (.ml.npz)",
    )
    parser.add_argument(
        "--fit-model",
        type=Path,
        default=None,
        help="fit model file (default: the one shipped in the package)",
    )
    parser.add_argument(
        "--today",
        type=_date,
        default=None,
        help="reference date for availability and conflict until-dates (default: the anchor "
        "date of a meta.json beside the cases file, else today)",
    )
    parser.add_argument(
        "--cjk",
        choices=("bigram", "jieba"),
        default="bigram",
        help="Chinese tokenisation of the lexical channel",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and documentation)."""
    parser = argparse.ArgumentParser(
        prog="expertmatch", description="Match dispute cases with experts."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    rank = sub.add_parser("rank", help="rank experts for each case, as JSON Lines")
    _add_common(rank, labels=False)
    rank.add_argument("--top-k", type=int, default=10, help="experts per case (0 = all)")
    rank.add_argument("--explain", action="store_true", help="add an explanation per expert")
    rank.add_argument(
        "--output", "-o", type=Path, default=None, help="output file (default: stdout)"
    )
    rank.set_defaults(func=cmd_rank)

    ev = sub.add_parser("evaluate", help="measure ranking quality against labels")
    _add_common(ev, labels=True)
    ev.add_argument("--json", action="store_true", help="print the metrics as JSON")
    ev.set_defaults(func=cmd_evaluate)

    tn = sub.add_parser("tune", help="choose fusion weights by cross-validation over labels")
    _add_common(tn, labels=True)
    tn.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    tn.add_argument("--step", type=float, default=0.1, help="weight grid step (default 0.1)")
    tn.set_defaults(func=cmd_tune)

    tr = sub.add_parser("train", help="refit the calibrated fit model (writes a JSON file)")
    _add_common(tr, labels=True)
    tr.add_argument(
        "--gold",
        type=Path,
        default=None,
        help="local copy of niharshah/goldstandard-reviewer-paper-match for the text weights "
        "(default: $EXPERTMATCH_GOLD_DIR; without it the current text weights are kept)",
    )
    tr.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    tr.add_argument(
        "--output",
        "-o",
        type=Path,
        default=None,
        help="where to write the model (default: the package's fit_model.json)",
    )
    tr.set_defaults(func=cmd_train)
    return parser


# -- loading -----------------------------------------------------------------------------------


def _default_file(given: Path | None, name: str) -> Path | None:
    if given is not None:
        if not given.exists():
            raise InputError(f"{given}: file not found")
        return given
    candidate = DATA_DIR / name
    return candidate if candidate.exists() else None


def _reference_date(args: argparse.Namespace) -> dt.date:
    if args.today is not None:
        return args.today
    meta = Path(args.cases).parent / "meta.json"
    if meta.exists():
        try:
            anchor = json.loads(meta.read_text(encoding="utf-8")).get("anchor_date")
            if isinstance(anchor, str):
                return dt.date.fromisoformat(anchor)
        except (ValueError, OSError):
            pass
    return dt.date.today()


def _load_inputs(args: argparse.Namespace) -> tuple[list[ExpertDoc], list[CaseDoc]]:
    experts = read_jsonl(args.experts, expert_from_dict, unique_id=lambda e: e.id)
    cases = read_jsonl(args.cases, case_from_dict, unique_id=lambda c: c.id)
    return experts, cases


def _encoders(args: argparse.Namespace) -> tuple[Encoder | None, Encoder | None]:
    """The main and the multilingual encoder (``None`` where switched off or the same)."""
    spec = (args.model if args.model is not None else model_spec_from_env()).strip()
    encoder = None if spec.lower() == "none" else load_encoder(spec)
    ml_spec = getattr(args, "multilingual_model", None)
    ml_spec = (ml_spec if ml_spec is not None else multilingual_spec_from_env()).strip()
    if encoder is None or ml_spec.lower() == "none" or ml_spec == spec:
        return encoder, None
    ml_encoder = load_encoder(ml_spec)
    return encoder, (None if ml_encoder.name == encoder.name else ml_encoder)


def _fit_model(args: argparse.Namespace) -> FitModel:
    path = getattr(args, "fit_model", None)
    if path is not None and not Path(path).exists():
        raise InputError(f"{path}: file not found")
    try:
        return load_fit_model(path)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _caches(
    args: argparse.Namespace, encoder: Encoder | None, ml_encoder: Encoder | None
) -> tuple[VectorCache | None, VectorCache | None]:
    if args.cache is None:
        return None, None
    cache = VectorCache.load(args.cache, encoder.name, encoder.dim) if encoder else None
    ml_cache = (
        VectorCache.load(_ml_cache_path(args.cache), ml_encoder.name, ml_encoder.dim)
        if ml_encoder
        else None
    )
    return cache, ml_cache


def _ml_cache_path(path: Path) -> Path:
    return path.with_name(path.stem + ".ml" + (path.suffix or ".npz"))


def _matcher_factory(args: argparse.Namespace, *, single: bool = False):
    """A function making empty matchers with the command's options (``single``: the main
    encoder only)."""
    entities = _default_file(args.entities, "entities.jsonl")
    resolver = EntityResolver.from_file(entities) if entities else EntityResolver()
    common = CommonParties.from_file(_default_file(args.common_parties, "common_parties.txt"))
    glossary = Glossary.from_file(_default_file(args.glossary, "glossary.tsv"))
    encoder, ml_encoder = _encoders(args)
    fit_model = _fit_model(args)

    def make(main: Encoder | None = encoder, ml: Encoder | None = ml_encoder) -> Matcher:
        return Matcher(
            main,
            multilingual_encoder=None if single else ml,
            fit_model=fit_model,
            resolver=resolver,
            common_parties=common,
            glossary=glossary,
            tokenizer=Tokenizer(args.cjk),
        )

    return make, encoder, ml_encoder


def _build_matcher(args: argparse.Namespace, experts: list[ExpertDoc]) -> Matcher:
    make, encoder, _ml_encoder = _matcher_factory(args)
    matcher = make()
    cache, ml_cache = _caches(args, encoder, matcher.ml_encoder)
    matcher.index_experts(experts, cache=cache, ml_cache=ml_cache)
    matcher.caches = (cache, ml_cache)  # type: ignore[attr-defined]
    return matcher


def _save_caches(args: argparse.Namespace, matcher: Matcher) -> None:
    cache, ml_cache = getattr(matcher, "caches", (None, None))
    if cache is not None:
        cache.save(args.cache)
    if ml_cache is not None:
        ml_cache.save(_ml_cache_path(args.cache))


def _query_vectors(matcher: Matcher, cases: list[CaseDoc]) -> tuple[list[Any], list[Any]]:
    """Query vectors of every case from the caches (encoding what they lack), so a re-run
    with ``--cache`` encodes nothing; ``None`` entries let the matcher encode on demand."""
    cache, ml_cache = getattr(matcher, "caches", (None, None))
    none = [None] * len(cases)
    main = none
    if cache is not None and matcher.encoder is not None:
        main = cache.query_vectors(matcher.encoder, [matcher.dense_query_text(c) for c in cases])
    ml = none
    if ml_cache is not None and matcher.ml_encoder is not None:
        ml = ml_cache.query_vectors(matcher.ml_encoder, [matcher.query_text(c) for c in cases])
    return list(main), list(ml)


# -- commands ----------------------------------------------------------------------------------


def cmd_rank(args: argparse.Namespace) -> int:
    """``expertmatch rank``: one JSON line per case, best expert first."""
    if args.top_k < 0:
        raise InputError("--top-k must be 0 (all) or more")
    experts, cases = _load_inputs(args)
    matcher = _build_matcher(args, experts)
    today = _reference_date(args)
    main_q, ml_q = _query_vectors(matcher, cases)
    _save_caches(args, matcher)
    results = [
        matcher.rank(
            c,
            top_k=args.top_k,
            explain=args.explain,
            today=today,
            query_vector=q,
            ml_query_vector=mq,
        )
        for c, q, mq in zip(cases, main_q, ml_q, strict=True)
    ]
    if any(r.degraded for r in results) and experts:
        print("expertmatch: ranking without the dense channel (no model)", file=sys.stderr)
    lines = [json.dumps(r.to_dict(explain=args.explain), ensure_ascii=False) for r in results]
    if args.output is None:
        sys.stdout.write("".join(line + "\n" for line in lines))
    else:
        with atomic_writer(args.output) as out:
            for line in lines:
                out.write(line + "\n")
    return 0


def _load_labels(args: argparse.Namespace, cases: list[CaseDoc]) -> dict[str, dict[str, int]]:
    labels = labels_by_case(read_jsonl(args.labels, label_from_dict))
    known = {c.id for c in cases}
    unknown = sorted(set(labels) - known)
    if unknown:
        raise InputError(f"{args.labels}: labels for unknown cases: {', '.join(unknown[:5])}")
    return labels


def cmd_evaluate(args: argparse.Namespace) -> int:
    """``expertmatch evaluate``: metrics overall and per case language."""
    experts, cases = _load_inputs(args)
    labels = _load_labels(args, cases)
    matcher = _build_matcher(args, experts)
    _save_caches(args, matcher)
    report = evaluate(matcher, cases, labels, today=_reference_date(args))
    if args.json:
        payload: dict[str, Any] = {"overall": report.overall, "by_language": report.by_language}
        print(json.dumps(payload, indent=2, sort_keys=True))
    else:
        print(report.format_table())
    return 0 if report.overall.get("conflicted", 0) == 0 else 1


def cmd_tune(args: argparse.Namespace) -> int:
    """``expertmatch tune``: cross-validated choice of the fusion weights."""
    experts, cases = _load_inputs(args)
    labels = _load_labels(args, cases)
    if not 0 < args.step <= 0.5:
        raise InputError("--step must be in (0, 0.5]")
    matcher = _build_matcher(args, experts)
    _save_caches(args, matcher)
    report = tune(
        matcher, cases, labels, today=_reference_date(args), folds=args.folds, step=args.step
    )
    print(report.format())
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """``expertmatch train``: refit the fit model and write it (atomically)."""
    from expertmatch.matching import goldstandard, training

    experts, cases = _load_inputs(args)
    labels = _load_labels(args, cases)
    if args.folds < 2:
        raise InputError("--folds must be 2 or more")
    gold_root = None
    if args.gold is not None:
        gold_root = goldstandard.gold_dir(args.gold)
        if gold_root is None:
            raise InputError(f"{args.gold}: no gold standard there (data/evaluations.csv)")
    else:
        gold_root = goldstandard.gold_dir()
    make, encoder, ml_encoder = _matcher_factory(args)
    if encoder is None:
        raise InputError("train needs an encoder (--model none has no text channel to fit)")
    previous = _fit_model(args)
    caches = _caches(args, encoder, ml_encoder)
    gold_caches: tuple[VectorCache | None, VectorCache | None] = (None, None)
    gold_makers = None
    if gold_root is not None:
        ml_for_gold = ml_encoder or encoder
        cache_dir = goldstandard.cache_dir()
        gold_caches = (
            VectorCache.load(cache_dir / f"{_safe(encoder.name)}.npz", encoder.name, encoder.dim),
            VectorCache.load(
                cache_dir / f"{_safe(ml_for_gold.name)}.npz", ml_for_gold.name, ml_for_gold.dim
            ),
        )
        gold_makers = (lambda: make(encoder, None), lambda: make(ml_for_gold, None))
        print(f"expertmatch: gold standard from {gold_root}", file=sys.stderr)
    else:
        print(
            "expertmatch: gold standard not found ($EXPERTMATCH_GOLD_DIR or --gold): "
            "text weights kept from the current model",
            file=sys.stderr,
        )
    encoders = {"en": encoder.name, "ml": (ml_encoder or encoder).name}
    model, report = training.train(
        experts=experts,
        cases=cases,
        labels=labels,
        make_matcher=make,
        make_gold_matchers=gold_makers,
        gold_root=gold_root,
        gold_caches=gold_caches,
        previous=previous,
        today=_reference_date(args),
        folds=args.folds,
        encoders=encoders,
        caches=caches,
    )
    for cache in gold_caches:
        if cache is not None:
            cache.save(goldstandard.cache_dir() / f"{_safe(cache.model)}.npz")
    if args.cache is not None:
        if caches[0] is not None:
            caches[0].save(args.cache)
        if caches[1] is not None:
            caches[1].save(_ml_cache_path(args.cache))
    output = args.output or MODEL_PATH
    model.save(output)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"expertmatch: fit model written to {output}", file=sys.stderr)
    return 0


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``expertmatch`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except InputError as exc:
        print(f"expertmatch: error: {exc.message}", file=sys.stderr)
        return EXIT_INPUT
    except ModelUnavailable as exc:
        print(f"expertmatch: error: {exc}", file=sys.stderr)
        return EXIT_MODEL
    except BrokenPipeError:  # `expertmatch rank ... | head`
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
