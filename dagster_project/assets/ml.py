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
from models_ml.training import train_payment_model

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
    description="The new model's test log loss is below the past-late-rate and logistic baselines.",
)


@asset(group_name="ml", deps=HISTORY_MARTS, pool="warehouse", check_specs=[BEATS_BASELINES])
def payment_model(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    """A classifier of 'paid within the horizon after the due date', trained on a time split."""
    settings = warehouse.settings()
    with warehouse.connect() as con:
        result = train_payment_model(con, settings.models_dir, settings.as_of_date)
    context.log.info(f"trained model {result['model_id']}; promoted: {result.get('promoted')}")
    return MaterializeResult(
        metadata=_flat_metrics(result), check_results=[_baselines_check(result)]
    )


def _baselines_check(result: dict) -> AssetCheckResult:
    """A warning, not a stop: the promotion rule already keeps a better model in place."""
    log_loss = {
        name: result["metrics"][name]["log_loss"] for name in ("model", "baseline", "logistic")
    }
    return AssetCheckResult(
        check_name=BEATS_BASELINES.name,
        passed=bool(result["beats_baselines_on_log_loss"]),
        severity=AssetCheckSeverity.WARN,
        metadata={f"log_loss_{name}": value for name, value in log_loss.items()},
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
