"""Fetching feeds: HTTP with conditional GET and caps (fetcher), the address policy that keeps
fetches off private networks (netguard), and when each feed is due next (cadence)."""
