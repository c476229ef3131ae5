"""Hypothesis profiles of the fuzzing tests (test_fuzz.py, test_api_schema.py).

``ci`` (the default) is derandomized, so that every run sends the same examples and a red
build can be replayed; it is kept small enough for the whole directory to run in about a
minute per database. ``HYPOTHESIS_PROFILE=deep`` sends far more random examples, for a long
local run. Neither writes a ``.hypothesis/`` example database into the repository.
"""

import os

from hypothesis import HealthCheck, settings

# Each example is a request through the whole stack: the default deadline would be noise, and
# the client and database fixtures are shared by the examples on purpose (they only read).
COMMON = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    "print_blob": True,
}

settings.register_profile("ci", max_examples=20, derandomize=True, **COMMON)
settings.register_profile("deep", max_examples=1000, **COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
