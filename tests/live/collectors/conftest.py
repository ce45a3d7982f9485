"""Fixtures for the S3/SQS/SNS collector tests (helpers live in s3sqssns_support)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from s3sqssns_support import FaultProxy


@pytest.fixture()
def fault_proxy(moto_server: Any) -> Iterator[FaultProxy]:
    """A fault-injecting proxy in front of the session moto server."""
    proxy = FaultProxy(moto_server.url)
    proxy.start()
    yield proxy
    proxy.stop()
