"""Benchmarks of the GitHub slice and the agent runtime, with figures as ratios against a baseline.

Run them with `make bench` (or `python -m benchmarks --help`). Every figure is measured in one
process against the in-process GitHub sandbox, so ratios compare like with like on one machine.
"""
