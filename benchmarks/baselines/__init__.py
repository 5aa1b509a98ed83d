"""Baselines the benchmarks compare against: what a user would write instead."""
