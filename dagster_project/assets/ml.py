"""Payment model assets: train on the marts' history, score every open invoice."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from dagster_project.resources import WarehouseResource
from models_ml.scoring import score_open_invoices
from models_ml.training import train_payment_model

HISTORY_MARTS = [
    AssetKey(["marts", name])
    for name in ("fct_invoices", "fct_open_items", "fct_contacts", "dim_customers")
]


@asset(group_name="ml", deps=HISTORY_MARTS, pool="warehouse")
def payment_model(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    """A classifier of 'paid within the horizon after the due date', trained on a time split."""
    settings = warehouse.settings()
    with warehouse.connect() as con:
        result = train_payment_model(con, settings.models_dir, settings.as_of_date)
    context.log.info(f"trained model {result['model_id']}; promoted: {result.get('promoted')}")
    return MaterializeResult(metadata=_flat_metrics(result))


@asset(
    group_name="ml", deps=[payment_model, AssetKey(["marts", "fct_open_items"])], pool="warehouse"
)
def invoice_scores(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    """ml.invoice_scores: the promoted model's probability for every open invoice."""
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
