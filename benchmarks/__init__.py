"""Benchmarks (`make bench`): each prints its numbers beside a floor measured in the same run."""
