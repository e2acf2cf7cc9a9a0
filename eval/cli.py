"""`rus eval`: evaluate retrieval against a gold file, and `rus eval compare A.json B.json`."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from eval.gold import GoldFormatError
from eval.runner import DEFAULT_POOL, RETRIEVER_CHOICES, SCOPES, EvalError, load_results, run, write_results
from index.embedders import EmbedderError
from index.store import IndexProblem
from ingest.errors import IngestError
from service.cli.options import index_dir_option
from service.settings import Settings

USER_ERRORS = (GoldFormatError, EvalError, IndexProblem, EmbedderError, IngestError)
HEADLINE = ("chunk_hit@1", "chunk_hit@5", "chunk_mrr@10", "section_hit@1", "section_hit@5", "section_mrr@10",
            "evidence@5")


PRODUCTION_DECISION = "service.answering.decision:decide"  # what /v1/ask decides: answer, low_confidence or not_covered


def load_decide(spec: str):
    """The callable named by "package.module:function"."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise EvalError(f"--decide wants MODULE:FUNCTION, got {spec!r}")
    try:
        function = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise EvalError(f"cannot load the decision function {spec!r}: {exc}") from None
    if not callable(function):
        raise EvalError(f"{spec!r} is not callable")
    return function


def _headline(results: dict) -> str:
    width = max(len(n) for n in results["retrievers"]) + 2
    lines = [f"{'':<{width}}" + "".join(f"{m:>15}" for m in HEADLINE)]
    for name, outcome in results["retrievers"].items():
        overall = outcome["metrics"]["overall"]
        cells = "".join(f"{overall.get(m):>15.3f}" if overall.get(m) is not None else f"{'–':>15}" for m in HEADLINE)
        lines.append(f"{name:<{width}}{cells}")
    return "\n".join(lines)


def cmd_eval(args: argparse.Namespace) -> int:
    if args.gold is None:
        print("error: --gold FILE is required (or use `rus eval compare A.json B.json`)", file=sys.stderr)
        return 2
    try:
        decide = load_decide(args.decide) if args.decide != "none" else None
        results = run(
            args.gold, args.index_dir, retriever=args.retriever, k=args.k, pool=args.pool,
            cache_dir=args.cache, decide=decide, progress=not args.quiet, scope=args.scope,
            engine=args.settings.e5_engine,
        )
        out = args.out or args.settings.eval_reports_dir / args.gold.stem
        written = write_results(results, out)
    except USER_ERRORS as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(_headline(results))
    print(f"aggregation: {results['meta']['aggregation']} · wrote " + ", ".join(str(p) for p in written))
    return 0


def cmd_eval_compare(args: argparse.Namespace) -> int:
    from eval.report import compare

    try:
        a, b = load_results(args.a), load_results(args.b)
    except EvalError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(compare(a, b, str(args.a), str(args.b), changed_only=args.changed))
    return 0


def _align_headline(results: dict) -> str:
    overall = results["overall"]
    needs = overall["needs"]
    every = overall["every_claim"]
    inriktningar = overall["inriktningar"]["all"]

    def f(value: float | None) -> str:
        return "–" if value is None else f"{value:.3f}"

    return (
        f"sub-priority@1 {f(overall['subpriority@1'])}  @3 {f(overall['subpriority@3'])}  "
        f"needs precision {f(needs['precision'])}  recall {f(needs['recall'])}  "
        f"not-addressed claimed {f(needs['not_needs_claimed_share'])}  "
        f"every claim: precision {f(every['precision'])} ({every['right']}/{every['claims']})  "
        f"recall {f(every['recall'])}  "
        f"inriktningar accuracy {f(inriktningar['accuracy'])}"
    )


def cmd_eval_align(args: argparse.Namespace) -> int:
    from eval.align_eval import run_align, write_align_results
    from eval.align_gold import AlignGoldError

    if args.gold is None:
        print("error: --gold FILE is required (e.g. eval/align_gold_heldout.jsonl)", file=sys.stderr)
        return 2
    try:
        settings = args.settings.model_copy(update={"index_dir": args.index_dir})
        results = run_align(args.gold, settings, progress=not args.quiet)
        out = args.out or args.settings.eval_reports_dir / f"align-{args.gold.stem}"
        written = write_align_results(results, out)
    except (AlignGoldError, *USER_ERRORS) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(_align_headline(results))
    print("wrote " + ", ".join(str(p) for p in written))
    return 0


def add_eval_command(subparsers, settings: Settings) -> argparse.ArgumentParser:
    """Register `eval` (and `eval compare`) on the `rus` sub-command parser (defaults from `settings`)."""
    parser = subparsers.add_parser(
        "eval", help="evaluate retrieval quality against a gold file",
        description="Evaluate retrievers on a gold JSONL file; write results.json, report.md and plots.",
        usage="rus eval --gold FILE [--retriever {hybrid,dense,bm25,naive-dense,all}] [--k K] [--pool N]\n"
              "                [--index-dir DIR] [--out DIR] [--cache DIR] [--decide MODULE:FUNCTION]\n"
              "                [--scope {answer,library}] [--quiet]\n"
              "       rus eval compare A.json B.json [--changed]\n"
              "       rus eval align --gold FILE [--index-dir DIR] [--out DIR] [--quiet]",
    )
    parser.add_argument("--gold", type=Path, help="gold JSONL file (format of ../shared/eval/dev.jsonl)")
    parser.add_argument("--retriever", choices=RETRIEVER_CHOICES, default="all",
                        help="one retriever or all of them (default all)")
    parser.add_argument("--k", type=int, default=10, help="chunks per query for chunk-level metrics (default 10)")
    parser.add_argument("--pool", type=int, default=DEFAULT_POOL,
                        help=f"chunks aggregated into the section ranking (default {DEFAULT_POOL})")
    index_dir_option(parser, settings)
    reports = settings.eval_reports_dir
    parser.add_argument("--out", type=Path, help=f"output folder (default {reports}/<gold file name>, env "
                        "RUS_EVAL_REPORTS_DIR)")
    parser.add_argument("--cache", type=Path,
                        help="cache folder for the naive baseline's vectors (default <index-dir>/../eval-cache)")
    parser.add_argument("--decide", metavar="MODULE:FUNCTION", default=PRODUCTION_DECISION,
                        help="the answer-state rule, decide(analysis, hits) -> state or an object with .state and "
                        f".score (default {PRODUCTION_DECISION}: what /v1/ask decides; 'none' to skip)")
    parser.add_argument("--scope", choices=SCOPES, default="answer",
                        help="answer: search each query where the answers search it ((sub-)priority questions "
                        "within the strategy when the index also holds plans); library: always the whole index "
                        "(default answer)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(func=cmd_eval)
    actions = parser.add_subparsers(dest="eval_action", metavar="{compare,align}")
    compare = actions.add_parser(
        "compare", prog="rus eval compare",
        help="print the deltas of every metric between two results.json (`rus eval` or `rus eval align`)"
    )
    compare.add_argument("a", type=Path, help="baseline results.json")
    compare.add_argument("b", type=Path, help="new results.json")
    compare.add_argument("--changed", action="store_true", help="only metrics that changed")
    compare.set_defaults(func=cmd_eval_compare)
    aligned = actions.add_parser(
        "align", prog="rus eval align",
        help="evaluate the alignment check (/v1/align) against a labelled alignment set",
        description="Run the alignment check over an alignment gold file (eval/align_gold.jsonl format); "
                    "write results.json, report.md and alignment.png.",
    )
    aligned.add_argument("--gold", type=Path, help="alignment gold JSONL (e.g. eval/align_gold_heldout.jsonl)")
    index_dir_option(aligned, settings)
    aligned.add_argument("--out", type=Path, help=f"output folder (default {reports}/align-<gold file name>)")
    aligned.add_argument("--quiet", action="store_true", help="no progress bar")
    aligned.set_defaults(func=cmd_eval_align)
    return parser
