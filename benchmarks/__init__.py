"""Benchmarks run by `ceptoar bench NAME`; each prints one JSON object of figures measured in one run."""
