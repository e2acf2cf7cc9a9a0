"""The fitted answer-state model (decision.py): weights, intercept and the two cut-offs, in a JSON file.

`python -m eval.calibrate --write` fits the model and writes MODEL_FILE with `write_model`; decision.py
reads it at import with `read_model`, which checks that the file holds one weight per signal the decision measures,
in the same order. JSON, not TOML: a program writes this file (the standard library reads and writes JSON; it only
reads TOML), and the reasons for the numbers live in the docs and in calibrate's output, not in comments.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

MODEL_FILE = Path(__file__).with_name("answer_state_model.json")


class ModelFileError(ValueError):
    """An answer-state model file that cannot be read or does not fit the decision's signals."""


@dataclass(frozen=True)
class AnswerStateModel:
    """A logistic model over the decision's signals and the two cut-offs on its probability."""

    signals: tuple[str, ...]  # the names of the weighted signals, in order (confidence.Signals' fields)
    weights: tuple[float, ...]
    intercept: float
    not_covered_below: float  # "not covered" below this probability
    answer_from: float  # "answer" from this probability on; "low confidence" between
    fitted_on: tuple[str, ...]  # the gold files it was fitted on
    answerable: int  # answerable items and negatives among them
    negatives: int


def read_model(path: Path, signals: Sequence[str]) -> AnswerStateModel:
    """The model in `path`, checked against the decision's signal names; ModelFileError naming the file and key."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"{path}: cannot be read as JSON: {error}") from error
    if not isinstance(data, dict):
        raise ModelFileError(f"{path}: must hold a JSON object")
    missing = [name for name in AnswerStateModel.__dataclass_fields__ if name not in data]
    if missing:
        raise ModelFileError(f"{path}: missing {', '.join(missing)}")
    if data["signals"] != list(signals):
        raise ModelFileError(f"{path}: signals {data['signals']} are not the decision's {list(signals)}; refit it")
    weights = data["weights"]
    if not isinstance(weights, list) or len(weights) != len(signals) or not all(_finite(w) for w in weights):
        raise ModelFileError(f"{path}: weights must be {len(signals)} numbers, one per signal")
    for key in ("intercept", "not_covered_below", "answer_from"):
        if not _finite(data[key]):
            raise ModelFileError(f"{path}: {key} must be a number, got {data[key]!r}")
    if not 0.0 <= data["not_covered_below"] <= data["answer_from"] <= 1.0:
        raise ModelFileError(f"{path}: needs 0 ≤ not_covered_below ≤ answer_from ≤ 1")
    for key in ("answerable", "negatives"):
        if not isinstance(data[key], int) or isinstance(data[key], bool) or data[key] < 0:
            raise ModelFileError(f"{path}: {key} must be a count, got {data[key]!r}")
    if not isinstance(data["fitted_on"], list) or not all(isinstance(name, str) for name in data["fitted_on"]):
        raise ModelFileError(f"{path}: fitted_on must be a list of file names")
    return AnswerStateModel(
        signals=tuple(signals),
        weights=tuple(float(w) for w in weights),
        intercept=float(data["intercept"]),
        not_covered_below=float(data["not_covered_below"]),
        answer_from=float(data["answer_from"]),
        fitted_on=tuple(data["fitted_on"]),
        answerable=data["answerable"],
        negatives=data["negatives"],
    )


def write_model(model: AnswerStateModel, path: Path) -> None:
    """Write the model as indented JSON (replacing `path` only once it is written)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(asdict(model), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    partial.replace(path)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
