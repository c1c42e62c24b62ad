"""The demo: sample feeds served on loopback (loopback) through the real pipeline to a local
webhook (run)."""
