"""The payment model: the promoted model's test and backtest figures against the baseline, its
reliability, and the drift of the score distribution in the selected entities.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from dagster_project.settings import get_settings
from dashboards import context, widgets
from dashboards.context import PageContext
from dashboards.formatting import count, percent
from dashboards.queries import model as queries

TITLE = "Payment model"

METRICS = (  # key, label, lower is better, explanation
    ("roc_auc", "ROC AUC", False, "Does it rank payers above non-payers (0.5 = chance)."),
    ("brier", "Brier score", True, "Mean squared error of the probabilities."),
    ("log_loss", "Log loss", True, "How surprised the model is by what happened."),
)


def render(page: PageContext) -> None:
    widgets.header(page, TITLE)
    models_dir = get_settings().models_dir
    promoted = queries.promoted_card(models_dir)
    if promoted is None:
        widgets.empty(f"No promoted model in {models_dir}: train one with `make demo SERVE=0`.")
    else:
        pointer, card = promoted
        _card(pointer, card)
        _figures(card)
        _reliability(card)
        _backtest(card)
        for image in queries.model_images(models_dir, card["model_id"]):
            st.image(str(image), caption=image.stem.replace("_", " "))

    if widgets.has_selection(page):
        _drift(page)


def _card(pointer: dict[str, Any], card: dict[str, Any]) -> None:
    window = card.get("training_window", {})
    sizes = card.get("data", {})
    st.markdown(
        f"Promoted model **`{card['model_id']}`** ({pointer.get('reason', 'promoted')}, "
        f"{pointer.get('promoted_at', '–')}): {card.get('estimator', {}).get('class', '–')}, "
        f"predicts *{card.get('target', '–')}*."
    )
    st.caption(
        f"Trained on {count(sizes.get('n_train'))} rows, tested on {count(sizes.get('n_test'))} "
        f"rows from snapshots after {window.get('cutoff_date', '–')}; "
        f"{len(card.get('features', []))} features."
    )


def _figures(card: dict[str, Any]) -> None:
    st.subheader("Test figures against the baseline")
    figures = card.get("metrics", {})
    model, baseline = figures.get("model", {}), figures.get("baseline", {})
    columns = st.columns(len(METRICS) + 1)
    for column, (key, label, lower_is_better, explanation) in zip(columns, METRICS, strict=False):
        value, base = model.get(key), baseline.get(key)
        column.metric(
            label,
            f"{value:.3f}" if value is not None else "–",
            delta=f"{value - base:+.3f} vs baseline" if None not in (value, base) else None,
            delta_color="inverse" if lower_is_better else "normal",
            help=explanation,
            border=True,
        )
    columns[-1].metric(
        "Paid share in the test set",
        percent(model.get("positive_rate")),
        help="The base rate the probabilities should average to.",
        border=True,
    )
    st.caption(
        "Baseline: the debtor's own share of invoices paid on time, shrunk towards the base "
        "rate — what a credit team predicts without a model."
    )


def _reliability(card: dict[str, Any]) -> None:
    st.subheader("Reliability")
    bins = card.get("reliability") or card.get("metrics", {}).get("reliability")
    if not bins:
        st.caption(
            "Not available yet: the model card has no reliability bins (predicted against "
            "observed paid share per score band)."
        )
        return
    frame = pd.DataFrame(bins)
    diagonal = alt.Chart(pd.DataFrame({"x": [0, 1], "y": [0, 1]})).mark_line(
        strokeDash=[4, 4], color="#999999"
    )
    points = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "mean_predicted:Q",
                title="Predicted chance of payment",
                scale=alt.Scale(domain=[0, 1]),
            ),
            y=alt.Y("observed:Q", title="Observed paid share", scale=alt.Scale(domain=[0, 1])),
            tooltip=["mean_predicted:Q", "observed:Q", "count:Q"],
        )
    )
    st.altair_chart(diagonal.encode(x="x:Q", y="y:Q") + points, width="stretch")


def _backtest(card: dict[str, Any]) -> None:
    backtest = card.get("backtest")
    st.subheader("Backtest")
    if not backtest:
        st.caption("Not available yet: the model card has no backtest figures.")
        return
    st.dataframe(pd.json_normalize(backtest), hide_index=True)


def _drift(page: PageContext) -> None:
    st.subheader("Score distribution")
    distribution = queries.score_distribution(page.warehouse, page.scope)
    if distribution.empty:
        widgets.empty("No scored invoices in the selected entities.")
        return
    distribution = distribution.assign(
        band=[f"{b / queries.SCORE_BINS:.1f}–{(b + 1) / queries.SCORE_BINS:.1f}"
              for b in distribution["score_bin"]],
        scored=[f"{d:%d %b %Y}" for d in distribution["as_of_date"]],
        share=distribution["share"].astype(float),
    )  # fmt: skip
    chart = (
        alt.Chart(distribution)
        .mark_bar()
        .encode(
            x=alt.X("band:N", title="Chance of payment", sort=None),
            y=alt.Y("share:Q", title="Share of scored invoices", axis=alt.Axis(format="%")),
            color=alt.Color("scored:N", title="Scored on"),
            xOffset="scored:N",
            tooltip=["scored:N", "band:N", alt.Tooltip("share:Q", format=".1%"), "invoice_count:Q"],
        )
    )
    st.altair_chart(chart, width="stretch")
    dates = sorted(distribution["as_of_date"].unique())
    if len(dates) < 2:
        st.caption("One scoring date so far: drift shows once a second run has been scored.")
        return
    shares = distribution.pivot(index="score_bin", columns="as_of_date", values="share").fillna(0)
    psi = queries.population_stability(shares[dates[-2]], shares[dates[-1]])
    st.caption(
        f"Population stability index {dates[-2]:%d %b} → {dates[-1]:%d %b}: {psi:.3f} "
        "(below 0.1 stable, above 0.25 a shift worth a look)."
    )


if __name__ == "__main__":
    render(context.current())
