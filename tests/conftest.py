import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# Gradient checks run the function twice per input element: keep examples few and small,
# and let them take their time. CI explores a fixed set of examples (derandomize) so that
# its verdict repeats; a local run explores new ones each time.
settings.register_profile(
    "default", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") else "default")

MNIST_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "mnist")


def pytest_configure(config):
    for number in range(1, 31):  # the exercises' checks, one marker each (tests/test_exercises.py)
        config.addinivalue_line("markers", f"task{number}: the checks of exercise {number} (pytest -m task{number})")


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def cache_every_array():
    """Route even tiny temporaries through minidl's buffer cache, so that small tests exercise its reuse."""
    from minidl.core.memory import buffer_cache

    cache = buffer_cache()
    saved = cache.min_bytes, cache.limit_bytes
    cache.clear()
    cache.min_bytes, cache.limit_bytes = 0, 64 * 2**20
    yield cache
    cache.min_bytes, cache.limit_bytes = saved
    cache.clear()
