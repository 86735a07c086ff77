"""The benchmark suite of issue 7: ``python bench/run.py`` (see bench/RESULTS.md)."""
