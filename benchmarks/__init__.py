"""Benchmarks of the GitHub, Gmail and Calendar slices and the agent runtime, as ratios against a baseline.

Run them with `make bench` (or `python -m benchmarks --help`). Every figure is measured in one
process against the in-process sandboxes, so ratios compare like with like on one machine.
"""
