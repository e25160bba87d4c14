"""The ``expertmatch`` console script: rank, evaluate and tune the matching engine from files.

``expertmatch rank``      experts + cases -> JSON Lines, one ranking per case
``expertmatch evaluate``  experts + cases + labels -> nDCG@5/10, MRR, recall@10, conflicts
``expertmatch tune``      experts + cases + labels -> cross-validated fusion weights
``expertmatch assign``    experts + cases -> one optimal plan for the whole batch, JSON Lines
``expertmatch team``      experts + one case + the roles it needs -> the best team, JSON
``expertmatch read``      cases -> JSON Lines of the structure read from each case's text

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
from expertmatch.matching.assignment import DEFAULT_DEPTH, MODES, batch_inputs, plan_batch
from expertmatch.matching.encoders import DEFAULT_MODEL_SPEC, MODEL_SETTING, model_spec_from_env
from expertmatch.matching.evaluation import evaluate, label_from_dict, labels_by_case, tune
from expertmatch.matching.intake import IntakeReader, apply_reading, load_examples
from expertmatch.matching.jsonl import atomic_writer, read_jsonl
from expertmatch.matching.team import TeamRole, plan_team, role_from_dict, team_inputs
from expertmatch.resources import resource_dir

__all__ = ["main"]

EXIT_INPUT = 2
EXIT_MODEL = 3

# The repository's data folder: entities, common parties and glossary are picked up from here
# when present, so the CLI and the web app apply the same conflict tables by default.
DATA_DIR = Path(os.environ.get("EXPERTMATCH_DATA_DIR") or resource_dir("data"))


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
        help=f"embedding model spec (default: ${MODEL_SETTING} or {DEFAULT_MODEL_SPEC}); "
        "'none' ranks without the dense channel",
    )
    parser.add_argument("--cache", type=Path, default=None, help="vector cache file (.npz)")
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
    parser.add_argument(
        "--no-infer",
        dest="infer",
        action="store_false",
        help="do not fill a case's empty structured fields from its text (the intake reader)",
    )
    _add_reader_options(parser)


def _add_reader_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--corrections",
        type=Path,
        default=None,
        help="extra training examples for the intake reader (JSON Lines, e.g. the "
        "coordinators' corrections exported by `flask --app wsgi export-intake-corrections`)",
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

    asg = sub.add_parser("assign", help="plan the assignment of a whole batch of cases")
    _add_common(asg, labels=False)
    asg.add_argument("--per-case", type=int, default=1, help="experts per case (default 1)")
    asg.add_argument("--firm-limit", type=int, default=None, help="at most N assignments per firm")
    asg.add_argument(
        "--mode",
        choices=MODES,
        default="total",
        help="total: maximise total fit; fair: first lift the worst-served case",
    )
    asg.add_argument(
        "--cover-languages",
        action="store_true",
        help="each case's team must speak every language of the case",
    )
    asg.add_argument(
        "--cover-forums",
        action="store_true",
        help="each case's team must be admitted in every jurisdiction of the case",
    )
    asg.add_argument(
        "--depth", type=int, default=DEFAULT_DEPTH, help="candidates kept per case (checked)"
    )
    asg.add_argument("--output", "-o", type=Path, required=True, help="plan file (JSON Lines)")
    asg.set_defaults(func=cmd_assign)

    tm = sub.add_parser("team", help="assemble the best team for one complex case")
    _add_common(tm, labels=False)
    tm.add_argument("--case-id", required=True, help="the case to staff")
    tm.add_argument(
        "--roles",
        required=True,
        type=Path,
        help='JSON list of {"role", "jurisdiction", "language", "count"}',
    )
    tm.add_argument("--budget", type=float, default=None, help="daily fee budget (CNY)")
    tm.add_argument("--firm-limit", type=int, default=None, help="at most N members per firm")
    tm.add_argument("--output", "-o", type=Path, default=None, help="output file (default: stdout)")
    tm.set_defaults(func=cmd_team)
    rd = sub.add_parser("read", help="read dispute type, forums, industry... from each case's text")
    rd.add_argument("--cases", required=True, type=Path, help="cases JSON Lines file")
    rd.add_argument("--output", "-o", type=Path, default=None, help="output file (default: stdout)")
    _add_reader_options(rd)
    rd.set_defaults(func=cmd_read)
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


def _reader(args: argparse.Namespace) -> IntakeReader:
    """The intake reader, trained on the whole written set of ``data/intake`` (+ corrections)."""
    extra = load_examples(_default_file(args.corrections, "")) if args.corrections else []
    return IntakeReader.from_data(DATA_DIR, extra=extra, split=None)


def _infer(args: argparse.Namespace, cases: list[CaseDoc]) -> list[CaseDoc]:
    """Cases with their empty structured fields read from their text (unless ``--no-infer``)."""
    if not getattr(args, "infer", False):
        return cases
    reader = _reader(args)
    return [apply_reading(c, reader.read_case(c)) for c in cases]


def _build_matcher(args: argparse.Namespace, experts: list[ExpertDoc]) -> Matcher:
    entities = _default_file(args.entities, "entities.jsonl")
    resolver = EntityResolver.from_file(entities) if entities else EntityResolver()
    common = CommonParties.from_file(_default_file(args.common_parties, "common_parties.txt"))
    glossary = Glossary.from_file(_default_file(args.glossary, "glossary.tsv"))
    spec = args.model if args.model is not None else model_spec_from_env()
    encoder = None if spec.strip().lower() == "none" else load_encoder(spec)
    matcher = Matcher(
        encoder,
        resolver=resolver,
        common_parties=common,
        glossary=glossary,
        tokenizer=Tokenizer(args.cjk),
    )
    cache = None
    if args.cache is not None and encoder is not None:
        cache = VectorCache.load(args.cache, encoder.name, encoder.dim)
    matcher.index_experts(experts, cache=cache)
    if cache is not None:
        cache.save(args.cache)
    return matcher


# -- commands ----------------------------------------------------------------------------------


def _write_lines(output: Path | None, lines: list[str]) -> None:
    """Lines to stdout, or to ``output`` atomically (nothing is left behind on failure)."""
    if output is None:
        sys.stdout.write("".join(line + "\n" for line in lines))
        return
    with atomic_writer(output) as out:
        for line in lines:
            out.write(line + "\n")


def cmd_rank(args: argparse.Namespace) -> int:
    """``expertmatch rank``: one JSON line per case, best expert first."""
    if args.top_k < 0:
        raise InputError("--top-k must be 0 (all) or more")
    experts, cases = _load_inputs(args)
    cases = _infer(args, cases)
    matcher = _build_matcher(args, experts)
    today = _reference_date(args)
    results = [matcher.rank(c, top_k=args.top_k, explain=args.explain, today=today) for c in cases]
    if any(r.degraded for r in results) and experts:
        print("expertmatch: ranking without the dense channel (no model)", file=sys.stderr)
    lines = [json.dumps(r.to_dict(explain=args.explain), ensure_ascii=False) for r in results]
    _write_lines(args.output, lines)
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
    cases = _infer(args, cases)
    matcher = _build_matcher(args, experts)
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
    cases = _infer(args, cases)
    matcher = _build_matcher(args, experts)
    report = tune(
        matcher, cases, labels, today=_reference_date(args), folds=args.folds, step=args.step
    )
    print(report.format())
    return 0


def cmd_assign(args: argparse.Namespace) -> int:
    """``expertmatch assign``: one JSON line per case with the experts the plan gives it."""
    if args.per_case < 1:
        raise InputError("--per-case must be at least 1")
    if args.firm_limit is not None and args.firm_limit < 1:
        raise InputError("--firm-limit must be at least 1")
    if args.depth < 1:
        raise InputError("--depth must be at least 1")
    experts, cases = _load_inputs(args)
    cases = _infer(args, cases)
    matcher = _build_matcher(args, experts)
    inputs = batch_inputs(
        matcher,
        cases,
        slots=args.per_case,
        today=_reference_date(args),
        cover_languages=args.cover_languages,
        cover_forums=args.cover_forums,
    )
    plan = plan_batch(
        inputs.cases,
        inputs.experts,
        inputs.fits,
        mode=args.mode,
        firm_limit=args.firm_limit,
        depth=args.depth,
        exclusions=inputs.exclusions,
    )
    with atomic_writer(args.output) as out:
        for row in plan.cases:
            out.write(json.dumps(row.to_dict(), ensure_ascii=False) + "\n")
    summary = plan.summary()
    print(
        "expertmatch: {assigned} assignments for {cases} cases ({cases_short} short), "
        "total fit {total_fit}, worst-served {worst_fit}, {experts_used} experts, "
        "optimal: {proven_optimal}".format(**summary),
        file=sys.stderr,
    )
    return 0


def _read_roles(path: Path) -> list[TeamRole]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from None
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(items, list) or not items:
        raise InputError(f"{path}: must be a non-empty JSON list of requirements")
    roles = []
    for number, item in enumerate(items, start=1):
        try:
            roles.append(role_from_dict(item))
        except InputError as exc:
            raise InputError(f"{path}: requirement {number}: {exc.message}") from None
    return roles


def cmd_team(args: argparse.Namespace) -> int:
    """``expertmatch team``: the best team for one case, and the requirements left uncovered."""
    roles = _read_roles(args.roles)
    experts, cases = _load_inputs(args)
    case = next((c for c in cases if c.id == args.case_id), None)
    if case is None:
        raise InputError(f"{args.cases}: no case with id {args.case_id!r}")
    (case,) = _infer(args, [case])
    matcher = _build_matcher(args, experts)
    eligible, excluded, exclusions = team_inputs(matcher, case, today=_reference_date(args))
    team = plan_team(
        eligible,
        roles,
        budget=args.budget,
        firm_limit=args.firm_limit,
        excluded_docs=excluded,
        exclusions=exclusions,
    )
    payload = json.dumps({"case_id": case.id, **team.to_dict()}, ensure_ascii=False, indent=2)
    _write_lines(args.output, [payload])
    return 0


def cmd_read(args: argparse.Namespace) -> int:
    """``expertmatch read``: one JSON line per case with each inferred field and its evidence."""
    cases = read_jsonl(args.cases, case_from_dict, unique_id=lambda c: c.id)
    reader = _reader(args)
    lines = [json.dumps(reader.read_case(c).to_dict(c.id), ensure_ascii=False) for c in cases]
    _write_lines(args.output, lines)
    return 0


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
