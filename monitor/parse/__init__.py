"""Parsing fetched bytes into entries (parser), in worker processes (pool), and preparing each
entry for the store: normalised text, language, identity and the topic match (prepare)."""
