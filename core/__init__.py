"""driftdeck engine."""
