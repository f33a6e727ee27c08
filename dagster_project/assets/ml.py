"""Payment model assets: train on the marts' history, score every open invoice."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    asset,
)

from dagster_project.resources import WarehouseResource
from models_ml.scoring import score_open_invoices
from models_ml.training import model_to_keep, train_payment_model

HISTORY_MARTS = [
    AssetKey(["marts", name])
    for name in (
        "fct_invoices",
        "fct_open_items",
        "fct_contacts",
        "dim_customers",
        "fct_payment_signals",
    )
]
BEATS_BASELINES = AssetCheckSpec(
    "beats_baselines",
    asset="payment_model",
    description=(
        "The test log loss of the model trained (or kept) by this run is below the "
        "past-late-rate and logistic baselines."
    ),
)


@asset(group_name="ml", deps=HISTORY_MARTS, pool="warehouse", check_specs=[BEATS_BASELINES])
def payment_model(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    """A classifier of 'paid within the horizon after the due date', trained on a time split.

    Trained only when due (CM_RETRAIN_DAYS): while the model that scores the as-of date learnt
    from data fewer than that many days before it, the run keeps it and says so.
    """
    settings = warehouse.settings()
    kept = model_to_keep(settings.models_dir, settings.as_of_date, settings.retrain_days)
    if kept is not None:
        context.log.info(f"no training: kept {kept['kept_reason']}")
        metadata = {
            **_flat_metrics(kept),
            "trained": False,
            "kept_reason": kept["kept_reason"],
            "model_as_of_date": kept["as_of_date"],
            "retrain_days": settings.retrain_days,
        }
        return MaterializeResult(metadata=metadata, check_results=[_baselines_check(kept)])

    with warehouse.connect() as con:
        result = train_payment_model(
            con,
            settings.models_dir,
            settings.as_of_date,
            max_invoices=settings.train_max_invoices or None,
        )
    context.log.info(f"trained model {result['model_id']}; promoted: {result.get('promoted')}")
    metadata = {
        **_flat_metrics(result),
        "trained": True,
        "promoted": bool(result["promoted"]),
        "retrain_days": settings.retrain_days,
    }
    return MaterializeResult(metadata=metadata, check_results=[_baselines_check(result)])


def _baselines_check(result: dict) -> AssetCheckResult:
    """A warning, not a stop: the promotion rule already keeps a better model in place. A kept
    model is judged on the figures of its own card (its test slice when it was trained)."""
    log_loss = {
        name: result["metrics"][name]["log_loss"] for name in ("model", "baseline", "logistic")
    }
    return AssetCheckResult(
        check_name=BEATS_BASELINES.name,
        passed=bool(result["beats_baselines_on_log_loss"]),
        severity=AssetCheckSeverity.WARN,
        metadata={
            "model_id": str(result["model_id"]),
            "trained_by_this_run": "kept_reason" not in result,
            **{f"log_loss_{name}": value for name, value in log_loss.items()},
        },
    )


@asset(
    group_name="ml", deps=[payment_model, AssetKey(["marts", "fct_open_items"])], pool="warehouse"
)
def invoice_scores(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    """ml.invoice_scores (per open invoice) and ml.debtor_scores (per debtor and entity).

    Scored with the promoted model, or for a past as-of date with the newest model that learnt
    nothing after it.
    """
    settings = warehouse.settings()
    with warehouse.connect() as con:
        rows = score_open_invoices(con, settings.models_dir, settings.as_of_date)
    context.log.info(f"ml.invoice_scores: {rows} open invoices scored as of {settings.as_of_date}")
    return MaterializeResult(metadata={"rows": rows, "as_of_date": str(settings.as_of_date)})


def _flat_metrics(result: dict) -> dict[str, float | int | str]:
    """Dagster metadata wants scalars: keep the model id and the numeric test metrics."""
    flat: dict[str, float | int | str] = {"model_id": str(result["model_id"])}
    for group, values in result.get("metrics", {}).items():
        if isinstance(values, dict):
            for name, value in values.items():
                if isinstance(value, int | float):
                    flat[f"{group}_{name}"] = value
        elif isinstance(values, int | float):
            flat[group] = values
    return flat
