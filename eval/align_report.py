"""Render the results of `rus eval align` as report.md and one PNG (needs precision/recall, inriktningar accuracy)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from eval.report import _fmt, _table

PLOT = "alignment.png"
COUNTING = (
    "Needs are judged on the gold (main) sub-priority: a need marked *addressed* is right when it is one of the "
    "labelled needs and wrong otherwise (each summary was written to address exactly those). If the main "
    "sub-priority is not among the checked ones, its labelled needs are missed. Needs marked *addressed* in the "
    "other checked sub-priorities are unlabelled: they are counted (claims per application) and enter only the "
    "strict precision, which counts every one of them as wrong. *Possible* links are not claims. "
    "*Not-addressed claimed* is the share of the two labelled clearly-not-addressed needs per application that "
    "were marked addressed. An inriktning judgement is right when *shown in the application* equals the label. "
    "*Every claim*: every need marked *addressed* in any checked sub-priority; for a fully labelled application "
    "(every need it addresses anywhere is labelled) a claim is right when it is labelled, for the others a claim "
    "outside the main sub-priority is unlabelled and counts as wrong. Recall is over the labelled needs of the "
    "checked sub-priorities (*anywhere*: over all labelled needs)."
)


def _every_row(label: str, summary: dict) -> list[object]:
    every = summary["every_claim"]
    return [
        label, summary["n"], summary["fully_labelled"],
        f"{_fmt(every['precision'])} ({every['right']}/{every['claims']})",
        _fmt(every["recall"]), _fmt(every["recall_anywhere"]),
        f"{_fmt(every['precision_main'])} ({every['right_main']}/{every['claims_main']})",
        f"{_fmt(every['precision_other'])} ({every['right_other']}/{every['claims_other']})",
        _fmt(every["recall_other"]), _fmt(every["claims_per_application"], 1),
    ]


def _needs_row(label: str, summary: dict) -> list[object]:
    needs = summary["needs"]
    return [
        label, summary["n"], _fmt(summary["subpriority@1"]), _fmt(summary["subpriority@3"]),
        _fmt(needs["precision"]), _fmt(needs["recall"]), _fmt(needs["strict_precision"]),
        _fmt(needs["not_needs_claimed_share"]), _fmt(needs["claims_per_application"], 1),
        f"{needs['possible']} ({needs['possible_gold']} gold)",
    ]


def render_align_report(results: dict, plots: list[str] | None = None) -> str:
    """The Markdown report: headline table overall and per language, inriktningar, the curve, every application."""
    meta = results["meta"]
    lines = [
        f"# Alignment evaluation: `{meta['gold']}`",
        "",
        f"{meta['n_items']} applications · index `{meta['index_dir']}` (embedder `{meta.get('embedder')}`, built "
        f"{meta.get('index_built_at')}) · {meta['checked']} sub-priorities checked per application · "
        f"{meta['seconds']} s · {meta['created_at']}",
        "",
        COUNTING,
        "",
        "## Sub-priority and needs",
        "",
    ]
    header = ["", "n", "sub-priority@1", "@3", "needs precision", "recall", "strict precision",
              "not-addressed claimed", "claims/application", "possible"]
    rows = [_needs_row("all", results["overall"])]
    rows += [_needs_row(lang, summary) for lang, summary in results["by_lang"].items()]
    lines += _table(header, rows)
    lines += ["## Every claim the report makes", ""]
    lines += _table(
        ["", "n", "fully labelled", "precision", "recall (checked)", "recall (anywhere)", "main: precision",
         "other: precision", "other: recall", "claims/application"],
        [_every_row("all", results["overall"])]
        + [_every_row(lang, summary) for lang, summary in results["by_lang"].items()],
    )
    ranks = results["overall"]["ranks"]
    lines += [
        "## Sub-priority ranks",
        "",
        f"Other labelled sub-priorities (fully labelled applications): {ranks['other_labelled']}, of which "
        f"{ranks['other_checked']} among the {meta['checked']} checked ({_fmt(ranks['other_checked_share'])}); "
        f"median rank {ranks['other_median_rank']}.",
        "",
    ]
    lines += _table(
        ["sub-priority", "as main", "main @1", "as other", "other checked", "median rank", "claims", "right"],
        [[section, r["main"], r["main_at1"], r["other"], r["other_checked"], r["median_rank"], r["claims"], r["right"]]
         for section, r in ranks["by_subpriority"].items()],
    )
    lines += ["## Inriktningar", ""]
    inriktningar = results["overall"]["inriktningar"]
    lines += _table(
        ["inriktning", "n", "accuracy", "shown & labelled", "not shown & not labelled", "shown, not labelled",
         "labelled, not shown"],
        [[name, s["n"], _fmt(s["accuracy"]), s["tp"], s["tn"], s["fp"], s["fn"]] for name, s in inriktningar.items()],
    )
    kinds = results["overall"]["inriktning_kinds"]
    lines += ["Shown in the application, by how the inriktning is stated:", ""]
    lines += _table(["stated", "n", "shown", "share shown"],
                    [[kind, k["n"], k["shown"], _fmt(k["shown_share"])] for kind, k in kinds.items()])
    lines += ["## If every need at or above a confidence were claimed", ""]
    lines += _table(["confidence ≥", "claimed", "precision", "recall"],
                    [[_fmt(r["threshold"], 2), r["claimed"], _fmt(r["precision"]), _fmt(r["recall"])]
                     for r in results["curve"]])
    lines += ["## Every claim, if every need of the checked sub-priorities at or above a confidence were claimed", ""]
    lines += _table(["confidence ≥", "claimed", "precision", "recall"],
                    [[_fmt(r["threshold"], 2), r["claimed"], _fmt(r["precision"]), _fmt(r["recall"])]
                     for r in results.get("curve_every_claim", [])])
    lines += ["## Applications", ""]
    for record in results["items"]:
        wrong = sorted(set(record["claimed"]) - set(record["gold_needs"]))
        missed = sorted(set(record["gold_needs"]) - set(record["claimed"]))
        lines.append(
            f"- **{record['id']}** ({record['lang']}, {record['organisation']}) gold {record['section']}, checked "
            f"{', '.join(record['ranked'])} · needs gold {record['gold_needs']} claimed {record['claimed']} possible "
            f"{record['possible']}" + (f" · **wrong {wrong}**" if wrong else "")
            + (f" · **missed {missed}**" if missed else "") + f" · other claims {record['other_claims']}"
        )
        if record.get("fully_labelled"):
            gold_all = {tuple(g) for g in record["gold_all"]}
            wrong_all = [f"{n['section']}:{n['number']}" for n in record["checked_needs"]
                         if n["status"] == "addressed" and (n["section"], n["number"]) not in gold_all]
            missed_all = [f"{s}:{n}" for s, n in sorted(gold_all) if s in record["ranked"] and not any(
                c["status"] == "addressed" and (c["section"], c["number"]) == (s, n) for c in record["checked_needs"])]
            ranks_text = ", ".join(f"{s} #{r}" for s, r in record["section_ranks"].items())
            lines.append(f"  - every claim: labelled sub-priorities {ranks_text}"
                         + (f" · **wrong {', '.join(wrong_all)}**" if wrong_all else "")
                         + (f" · **missed {', '.join(missed_all)}**" if missed_all else "")
                         + (" · text cut to the service's limit" if record.get("cut") else ""))
        for check in record["inriktningar"]:
            if check["gold"] != check["shown"]:
                quote = f": “{check['sentence']}”" if check["sentence"] else ""
                lines.append(
                    f"  - inriktning {check['name']}: labelled {check['gold']}, judged {check['shown']}{quote}"
                )
    lines.append("")
    if plots:
        lines += ["## Plot", "", *(f"![{p}]({p})" for p in plots), ""]
    return "\n".join(lines)


def write_align_plot(results: dict, out: Path) -> Path:
    """Left: precision/recall of the needs against the confidence threshold (the chosen point marked);
    right: inriktningar accuracy per inriktning."""
    path = Path(out) / PLOT
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    rows = [r for r in results["curve"] if r["precision"] is not None]
    thresholds = [r["threshold"] for r in rows]
    left.plot(thresholds, [r["precision"] for r in rows], marker=".", label="precision")
    left.plot(thresholds, [r["recall"] for r in rows], marker=".", label="recall")
    needs = results["overall"]["needs"]
    if needs["precision"] is not None:
        left.axhline(needs["precision"], color="tab:blue", linestyle=":", linewidth=1,
                     label=f"as reported: precision {needs['precision']:.2f}")
        left.axhline(needs["recall"], color="tab:orange", linestyle=":", linewidth=1,
                     label=f"as reported: recall {needs['recall']:.2f}")
    left.set_xlabel("confidence threshold")
    left.set_ylim(0, 1.02)
    left.set_title("needs of the main sub-priority")
    left.grid(alpha=0.3)
    left.legend(fontsize=8, loc="lower left")
    inriktningar = results["overall"]["inriktningar"]
    names = list(inriktningar)
    right.bar(range(len(names)), [inriktningar[n]["accuracy"] or 0.0 for n in names],
              color=["tab:gray" if n == "all" else "tab:green" for n in names])
    right.set_xticks(range(len(names)), [n.replace(" och ", "\noch ").replace(" i ", "\ni ") for n in names],
                     fontsize=8)
    right.set_ylim(0, 1.05)
    right.axhline(0.85, color="tab:red", linestyle="--", linewidth=1, label="target 0.85")
    right.set_title("inriktningar accuracy")
    right.grid(axis="y", alpha=0.3)
    right.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
