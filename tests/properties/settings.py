"""Hypothesis settings of the property tests: modest example counts, no deadline (a test database
answers in its own time), no example database on disk, and fixed examples in CI (``CI=true``) so that a
red build can be replayed."""

import os

from hypothesis import HealthCheck, settings

DERANDOMIZE = os.environ.get("CI", "").lower() == "true"


def property_settings(max_examples: int, **options) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=DERANDOMIZE,
        suppress_health_check=[HealthCheck.too_slow],
        **options,
    )
