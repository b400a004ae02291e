from __future__ import annotations

import pytest

from app.privacy.redactor import Redactor


@pytest.fixture(scope="session")
def redactor() -> Redactor:
    r = Redactor()
    r.load()
    return r
