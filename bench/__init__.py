"""Benchmarks (scripts, not tests): run `python -m bench.<name>` from the repo root."""
