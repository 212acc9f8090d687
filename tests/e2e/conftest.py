"""pytest's set-up for the end-to-end tests: every process a test started is
killed when the test ends, passed or failed, so none outlives it."""
import pytest

import socklab_test


@pytest.fixture(autouse=True)
def _kill_what_the_test_started():
    yield
    socklab_test.cleanup()
