"""Reproducible backtests of the payment model: time splits, baselines, a written report."""
