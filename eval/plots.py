"""PNG plots of a results document: hit@k curves, hit@1 by kind and by language, negatives' top scores."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

HITK = "hitk.png"
BY_KIND = "hit1_by_kind.png"
BY_LANG = "hit1_by_lang.png"
TOP_SCORES = "top_scores.png"
RELIABILITY = "reliability.png"


def _hit_curves(results: dict, path: Path) -> Path:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for axis, (curve, title) in zip(axes, (("chunk_hit@k", "chunk level"), ("section_hit@k", "section level")),
                                    strict=True):
        for name, outcome in results["retrievers"].items():
            values = outcome["curves"][curve]
            axis.plot(range(1, len(values) + 1), values, marker="o", label=name)
        axis.set_title(f"hit@k, {title}")
        axis.set_xlabel("k")
        axis.set_ylim(0, 1.02)
        axis.grid(alpha=0.3)
    axes[0].set_ylabel("share of answerable items")
    axes[1].legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _bars(results: dict, group: str, path: Path, title: str) -> Path:
    retrievers = list(results["retrievers"])
    groups = sorted({g for o in results["retrievers"].values() for g, s in o["metrics"][group].items()
                     if s.get("n_answerable")})
    fig, axes = plt.subplots(1, 2, figsize=(max(8, 1.6 * len(groups) * 2), 4.2), sharey=True)
    width = 0.8 / max(len(retrievers), 1)
    x = np.arange(len(groups))
    # With the default "max" aggregation section hit@1 equals chunk hit@1, so the second panel shows @5.
    for axis, metric in zip(axes, ("section_hit@1", "section_hit@5"), strict=True):
        for position, name in enumerate(retrievers):
            summaries = results["retrievers"][name]["metrics"][group]
            values = [summaries.get(g, {}).get(metric) or 0.0 for g in groups]
            axis.bar(x + (position - (len(retrievers) - 1) / 2) * width, values, width, label=name)
        counts = [max(results["retrievers"][r]["metrics"][group].get(g, {}).get("n_answerable", 0)
                      for r in retrievers) for g in groups]
        axis.set_xticks(x, [f"{g}\n(n={n})" for g, n in zip(groups, counts, strict=True)])
        axis.set_title(f"{metric.replace('_', ' ')} {title}")
        axis.set_ylim(0, 1.05)
        axis.grid(axis="y", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=len(retrievers), fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _top_scores(results: dict, path: Path) -> Path:
    names = list(results["retrievers"])
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 4), squeeze=False)
    rng = np.random.default_rng(0)
    for axis, name in zip(axes[0], names, strict=True):
        items = results["retrievers"][name]["items"]
        for position, (answerable, label, color) in enumerate(((True, "answerable", "tab:blue"),
                                                               (False, "negative", "tab:red"))):
            scores = [r["top_score"] for r in items if r["answerable"] == answerable and r["top_score"] is not None]
            axis.scatter(position + rng.uniform(-0.15, 0.15, len(scores)), scores, s=14, alpha=0.7,
                         color=color, label=label)
        axis.set_xticks([0, 1], ["answerable", "negative"])
        axis.set_xlim(-0.5, 1.5)
        axis.set_title(name)
        axis.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel("top-1 score (retriever's own scale)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _reliability(results: dict, path: Path) -> Path | None:
    """Confidence against what happened, per retriever with a confidence: the share answerable (what the
    confidence predicts) and the share answered right; the diagonal is perfect calibration."""
    curves = {name: o["negatives"]["reliability"] for name, o in results["retrievers"].items()
              if o["negatives"].get("reliability")}
    if not curves:
        return None
    fig, axis = plt.subplots(figsize=(5.5, 4.6))
    axis.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect calibration")
    for name, rows in curves.items():
        rows = [r for r in rows if r["n"]]
        x = [r["mean_confidence"] for r in rows]
        axis.plot(x, [r["answerable"] for r in rows], marker="o", label=f"{name}: share answerable")
        axis.plot(x, [r["right"] for r in rows], marker="s", linestyle="--", label=f"{name}: share answered right")
        for r in rows:
            axis.annotate(f"n={r['n']}", (r["mean_confidence"], r["answerable"]), fontsize=7,
                          xytext=(3, -10), textcoords="offset points")
    axis.set_xlabel("confidence (probability the strategy covers the question)")
    axis.set_ylabel("observed share")
    axis.set_xlim(0, 1.02)
    axis.set_ylim(0, 1.05)
    axis.set_title("reliability of the answer confidence")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_plots(results: dict, out: Path) -> list[Path]:
    """Write every plot into `out`; returns their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plots = [
        _hit_curves(results, out / HITK),
        _bars(results, "by_kind", out / BY_KIND, "by kind"),
        _bars(results, "by_lang", out / BY_LANG, "by language"),
        _top_scores(results, out / TOP_SCORES),
        _reliability(results, out / RELIABILITY),
    ]
    return [plot for plot in plots if plot is not None]
