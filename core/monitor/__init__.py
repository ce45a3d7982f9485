"""The monitor both front ends drive: one loop (poll, IaC file changes, transitions, recording with
attribution evidence, alerts, auto-remediation) that `driftdeck watch` runs headless and the TUI runs
from a worker, plus what it is made of."""
