"""The simulated hardware: line pool, outbound queue, outcome rules, attempt and call records."""
