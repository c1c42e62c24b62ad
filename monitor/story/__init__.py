"""Stories: the features that say two reports tell one event (features), the pure grouping
rules (grouping), when a story alerts and what its update says (alerting), the
store-facing book that files matched items into stories and queues their alerts (book),
offline matching of pasted texts (offline) and grouping evaluation (evaluate)."""
