"""Pytest plugin: the standard connector contract suite."""
