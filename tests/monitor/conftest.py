"""Fixtures for the monitor's tests: the alert receiver."""

from alert_receiver import receiver  # noqa: F401 - a fixture
