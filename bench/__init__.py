"""Benchmarks of motcua (``make bench``): figures, not timed tests."""
