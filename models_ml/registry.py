"""A folder of models: save, load and promote, with a model card beside each model.

Layout under `models_dir`: `<model_id>/model.joblib` (the fitted estimator),
`<model_id>/metrics.json` (the model card: features, training window, horizon, metrics) and
`promoted.json` (which model scores). Writes go to a temporary name first and are renamed into
place, so a crash never leaves a half-written model or pointer behind.

The promotion rule: a new model replaces the promoted one only if its log loss is lower on rows
that neither has trained on; the first model is promoted unconditionally.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from datetime import UTC, datetime
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


class NoPromotedModelError(LookupError):
    """Scoring asked for the promoted model before any model was trained and promoted."""


def new_model_id(data_hash: str, created_at: datetime) -> str:
    """`<UTC timestamp>-<data hash prefix>`: sortable by time, tied to the data it learned from."""
    return f"{created_at.astimezone(UTC):%Y%m%dT%H%M%SZ}-{data_hash[:10]}"


def frame_hash(frame: pd.DataFrame) -> str:
    """A stable digest of a data frame's rows (order included) and column names."""
    digest = hashlib.sha256(",".join(frame.columns).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")
    temporary.replace(path)


def save_model(models_dir: Path, model_id: str, model: Any, card: dict[str, Any]) -> Path:
    """Write model and card into `models_dir/<model_id>/`; an existing folder is replaced."""
    target = models_dir / model_id
    staging = models_dir / f".{model_id}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)

    joblib.dump(model, staging / MODEL_FILE)
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
    _write_json(models_dir / PROMOTED_FILE, pointer)
    logger.info("promoted model %s (%s)", model_id, reason)


def _log_loss(model: Any, features: pd.DataFrame, y_true: np.ndarray) -> float:
    return classification_metrics(y_true, model.predict_proba(features)[:, 1])["log_loss"]


def promote_if_better(models_dir: Path, model_id: str, test: pd.DataFrame) -> bool:
    """Promote `model_id` if it beats the promoted model on log loss; True if it was promoted.

    `test` is the new model's test slice: its features, `label` and `as_of_date`. Only its rows
    from snapshots on or after the promoted model's own cutoff are used, so that neither model
    is judged on rows it learned from. Without such rows (or with one class only) there is no
    fair comparison and the promoted model stays.
    """
    incumbent_id = promoted_model_id(models_dir)
    if incumbent_id is None:
        promote(models_dir, model_id, "first model")
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
