"""The one way a test gives up for lack of something: a skip here, a failure under CI.

CI (CI=true) runs on a machine that has everything the suite needs, so a
missing tool or privilege there is a broken set-up, not a reason to pass.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run this test, but {reason}")
    pytest.skip(reason)
