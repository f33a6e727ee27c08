"""A folder of models: save, load and promote, with a model card beside each model.

Layout under `models_dir`: `<model_id>/model.joblib` (the fitted estimator),
`<model_id>/metrics.json` (the model card: features, training window, horizon, metrics, input
data hash), the card's images (reliability and lift charts), `promoted.json` (which model
scores) and `promotions.jsonl` (every promotion, oldest first). Writes go to a temporary name
first and are renamed into place, so a crash never leaves a half-written model or pointer behind.

The promotion rule: a new model replaces the promoted one only if its log loss is lower on rows
that neither has trained on. The first model is promoted whatever its figures (scoring needs a
model), with whether it beat the baselines written into the promotion record.

Scoring as of a past date never uses a model that learnt from later outcomes: it takes the
newest promoted model whose data ends on or before that date (`load_for_date`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn

from models_ml.metrics import classification_metrics

logger = logging.getLogger(__name__)

MODEL_FILE = "model.joblib"
CARD_FILE = "metrics.json"
PROMOTED_FILE = "promoted.json"
HISTORY_FILE = "promotions.jsonl"
HASH_DECIMALS = 6


class NoPromotedModelError(LookupError):
    """Scoring asked for the promoted model before any model was trained and promoted."""


class NoModelForDateError(LookupError):
    """Every model learnt from outcomes after the date being scored."""


def new_model_id(data_hash: str, created_at: datetime) -> str:
    """`<UTC timestamp>-<data hash prefix>`: sortable by time, tied to the data it learned from."""
    return f"{created_at.astimezone(UTC):%Y%m%dT%H%M%SZ}-{data_hash[:10]}"


def frame_hash(frame: pd.DataFrame) -> str:
    """A digest of a data frame's rows and column names that the same data always gives.

    Rows are sorted and floats rounded first: a parallel database sums floats in a varying
    order, so the last bits and the row order of the same query can differ between runs.
    """
    digest = hashlib.sha256(",".join(frame.columns).encode())
    floats = frame.select_dtypes("floating").columns
    stable = frame.assign(**{name: frame[name].round(HASH_DECIMALS) for name in floats})
    stable = stable.sort_values(list(stable.columns), kind="stable", ignore_index=True)
    digest.update(pd.util.hash_pandas_object(stable, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")
    temporary.replace(path)


def save_model(
    models_dir: Path,
    model_id: str,
    model: Any,
    card: dict[str, Any],
    extra_files: Sequence[Path] = (),
) -> Path:
    """Write model, card and `extra_files` (copied by name) into `models_dir/<model_id>/`.

    An existing folder of that id is replaced.
    """
    target = models_dir / model_id
    staging = models_dir / f".{model_id}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)

    joblib.dump(model, staging / MODEL_FILE)
    for path in extra_files:
        shutil.copyfile(path, staging / path.name)
    card = {**card, "model_id": model_id, "sklearn_version": sklearn.__version__}
    _write_json(staging / CARD_FILE, card)

    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    logger.info("saved model %s to %s", model_id, target)
    return target


def load_card(models_dir: Path, model_id: str) -> dict[str, Any]:
    return json.loads((models_dir / model_id / CARD_FILE).read_text())


def load_model(models_dir: Path, model_id: str) -> tuple[Any, dict[str, Any]]:
    """The fitted estimator and its card; warns when scikit-learn changed since it was saved."""
    card = load_card(models_dir, model_id)
    if card.get("sklearn_version") != sklearn.__version__:
        logger.warning(
            "model %s was saved with scikit-learn %s, loading with %s",
            model_id,
            card.get("sklearn_version"),
            sklearn.__version__,
        )
    return joblib.load(models_dir / model_id / MODEL_FILE), card


def promoted_model_id(models_dir: Path) -> str | None:
    pointer = models_dir / PROMOTED_FILE
    return json.loads(pointer.read_text())["model_id"] if pointer.exists() else None


def promotion_history(models_dir: Path) -> list[dict[str, Any]]:
    """Every promotion record, oldest first (the current pointer alone for older folders)."""
    history = models_dir / HISTORY_FILE
    if history.exists():
        return [json.loads(line) for line in history.read_text().splitlines() if line.strip()]
    pointer = models_dir / PROMOTED_FILE
    return [json.loads(pointer.read_text())] if pointer.exists() else []


def model_id_for_date(models_dir: Path, as_of: date) -> str:
    """The id of the newest promoted model whose data ends by `as_of`.

    The promoted model, unless it learnt from outcomes after `as_of`; then the latest model
    promoted earlier that did not; then the newest model trained on data up to `as_of` (a run
    for a past date trains one before it scores).
    """
    current = promoted_model_id(models_dir)
    if current is None:
        raise NoPromotedModelError(
            f"no promoted model in {models_dir}: train a payment model before scoring"
        )
    promoted = [record["model_id"] for record in reversed(promotion_history(models_dir))]
    trained = sorted(
        (path.name for path in models_dir.iterdir() if (path / CARD_FILE).exists()), reverse=True
    )
    for model_id in dict.fromkeys([current, *promoted, *trained]):
        if not (models_dir / model_id / CARD_FILE).exists():
            continue
        data_end = date.fromisoformat(load_card(models_dir, model_id)["as_of_date"])
        if data_end <= as_of:
            return model_id
    raise NoModelForDateError(
        f"every model in {models_dir} learnt from outcomes after {as_of}: train one as of "
        f"{as_of} (CM_AS_OF_DATE={as_of}) before scoring that date"
    )


def load_for_date(models_dir: Path, as_of: date) -> tuple[str, Any, dict[str, Any]]:
    """(model_id, estimator, card) of the model that scores `as_of` (`model_id_for_date`)."""
    model_id = model_id_for_date(models_dir, as_of)
    current = promoted_model_id(models_dir)
    if model_id != current:
        logger.info(
            "scoring as of %s with model %s: the promoted model %s learnt from later data",
            as_of,
            model_id,
            current,
        )
    model, card = load_model(models_dir, model_id)
    return model_id, model, card


def load_promoted(models_dir: Path) -> tuple[str, Any, dict[str, Any]]:
    """(model_id, estimator, card) of the promoted model."""
    model_id = promoted_model_id(models_dir)
    if model_id is None:
        raise NoPromotedModelError(
            f"no promoted model in {models_dir}: train a payment model before scoring"
        )
    model, card = load_model(models_dir, model_id)
    return model_id, model, card


def promote(models_dir: Path, model_id: str, reason: str, **evidence: Any) -> None:
    """Point `promoted.json` at `model_id`, recording why and which model it replaces."""
    pointer = {
        "model_id": model_id,
        "previous_model_id": promoted_model_id(models_dir),
        "promoted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "reason": reason,
        **evidence,
    }
    with (models_dir / HISTORY_FILE).open("a") as history:
        history.write(json.dumps(pointer, sort_keys=True, default=str) + "\n")
    _write_json(models_dir / PROMOTED_FILE, pointer)
    logger.info("promoted model %s (%s)", model_id, reason)


def _log_loss(model: Any, features: pd.DataFrame, y_true: np.ndarray) -> float:
    return classification_metrics(y_true, model.predict_proba(features)[:, 1])["log_loss"]


def promote_if_better(
    models_dir: Path, model_id: str, test: pd.DataFrame, *, beats_baselines: bool = True
) -> bool:
    """Promote `model_id` if it beats the promoted model on log loss; True if it was promoted.

    `test` is the new model's test slice: its features, `label` and `as_of_date`. Only its rows
    from snapshots on or after the promoted model's own cutoff are used, so that neither model
    is judged on rows it learned from. Without such rows (or with one class only) there is no
    fair comparison and the promoted model stays.
    """
    incumbent_id = promoted_model_id(models_dir)
    if incumbent_id is None:
        if not beats_baselines:
            logger.warning(
                "first model %s does not beat the baselines on its test slice; promoted because "
                "scoring needs a model, flagged in promotions.jsonl",
                model_id,
            )
        promote(models_dir, model_id, "first model", beats_baselines=beats_baselines)
        return True
    if incumbent_id == model_id:
        return True

    if not (models_dir / incumbent_id / MODEL_FILE).exists():
        promote(models_dir, model_id, "promoted model missing")
        return True
    candidate, card = load_model(models_dir, model_id)
    incumbent, incumbent_card = load_model(models_dir, incumbent_id)
    if incumbent_card["horizon_days"] != card["horizon_days"]:
        promote(models_dir, model_id, "horizon changed")
        return True
    if not set(incumbent_card["features"]) <= set(test.columns):
        promote(models_dir, model_id, "promoted model needs features no longer built")
        return True

    cutoff = max(
        card["training_window"]["cutoff_date"], incumbent_card["training_window"]["cutoff_date"]
    )
    common = test[test["as_of_date"] >= pd.Timestamp(cutoff)]
    if common["label"].nunique() < 2:
        logger.info("kept model %s: no common test rows to compare %s on", incumbent_id, model_id)
        return False

    y_true = common["label"].to_numpy()
    ours = _log_loss(candidate, common[card["features"]], y_true)
    theirs = _log_loss(incumbent, common[incumbent_card["features"]], y_true)
    evidence = {"compared_on_rows": len(common), "log_loss": ours, "previous_log_loss": theirs}
    if ours < theirs:
        promote(models_dir, model_id, "lower log loss", **evidence)
        return True
    logger.info("kept model %s: %s has log loss %.4f >= %.4f", incumbent_id, model_id, ours, theirs)
    return False
