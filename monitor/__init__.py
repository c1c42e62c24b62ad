"""feed-monitor: watch news feeds for one topic and alert an analyst."""

__version__ = "0.1.0"
