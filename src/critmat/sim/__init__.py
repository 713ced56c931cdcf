"""Simulate: Monte Carlo supply disruptions through the holder's market, prices, a reserve."""
