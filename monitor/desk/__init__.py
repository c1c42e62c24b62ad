"""The analyst's and operator's desk: triage, search, backtests, the web view, metrics.

Everything here reads what the pipeline stored; only verdicts (triage) and backtest
results (`--apply`) are written, through the store like every other write.
"""
