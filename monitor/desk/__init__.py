"""The analyst's and operator's desk: triage, search, backtests, the web view, metrics.

Everything here reads what the pipeline stored. The writes are few and go through the
store: verdicts (triage), backtest results (`--apply`), the search index catching up, and
the health check's probe write.
"""
