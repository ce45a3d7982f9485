"""Started, configured providers kept for as long as their owner runs (one scan, or a whole TUI or
`watch` session), so every poll after the first pays neither start-up nor schema nor Configure.

One process per (binary, configuration), as Terraform runs one per provider configuration. A
provider that crashes is restarted once per session and the restart is reported; a second crash
leaves its resources `unknown`. Failures to find, start or configure a provider are remembered
for the current scan only, so a `terraform init` run mid-session is picked up by the next poll.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import blake3

from driftdeck.core.cty import CtyError
from driftdeck.core.live.provider.client import (
    ProviderClient,
    ProviderCrashed,
    ProviderDiagnostic,
    ProviderError,
)
from driftdeck.core.live.provider.executable import ProviderBinary, ProviderNotFound, find_provider_binary
from driftdeck.core.live.provider.process import ProviderProcess, ProviderStartError, scrub
from driftdeck.core.live.provider.shaping import ShapeError, shape_block
from driftdeck.core.settings import user_cache_dir

_KEEP_LOGS = 20
_MAX_UPGRADES = 100_000


class ProviderUnavailable(Exception):
    """No usable provider for a resource: not found, did not start, or rejected its configuration.
    `configuration` is True for the last kind (the operator's settings, not the machine, are wrong);
    `not_found` for the first (no binary: `terraform init` was not run, or no mirror holds it)."""

    def __init__(self, reason: str, *, configuration: bool = False, not_found: bool = False) -> None:
        super().__init__(reason)
        self.configuration = configuration
        self.not_found = not_found


@dataclass
class ConfiguredProvider:
    """One provider process, configured, as the readers use it."""

    binary: ProviderBinary
    config: dict[str, Any]
    client: ProviderClient
    generation: int = 0
    restarts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # UpgradeResourceState is a pure function of (type, schema version, state JSON) for one
    # binary: a session re-polling an unchanged state asks once, not on every poll.
    _upgrades: dict[tuple[str, int, bytes], bytes] = field(default_factory=dict, repr=False)

    def upgrade_state(self, resource_type: str, version: int, attributes_json: bytes) -> bytes:
        key = (resource_type, version, blake3.blake3(attributes_json).digest())
        found = self._upgrades.get(key)
        if found is None:
            found = self.client.upgrade_state(resource_type, version, attributes_json)
            if len(self._upgrades) >= _MAX_UPGRADES:
                self._upgrades.clear()
            self._upgrades[key] = found
        return found

    @property
    def label(self) -> str:
        """`registry.terraform.io/hashicorp/aws 5.100.0`: what reports name as the reader."""
        return f"{self.binary.source} {self.binary.version}"


@dataclass
class SessionEvent:
    """Something an operator should hear about (a restart), for status bars and reports."""

    message: str
    at: float = field(default_factory=time.time)


class ProviderSession:
    """Providers for one owner's lifetime. Thread-safe; call `close()` when done (or use `with`)."""

    def __init__(
        self,
        *,
        explicit_dirs: Sequence[Path] = (),
        cache_dir: Path | None = None,
        debug: bool = False,
        max_restarts: int = 1,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.explicit_dirs = tuple(explicit_dirs)
        self.cache_dir = cache_dir or user_cache_dir()
        self.debug = debug
        self.max_restarts = max_restarts
        self._env = env
        self._lock = threading.Lock()
        self._binaries: dict[tuple[str, str], ProviderBinary | ProviderUnavailable] = {}
        self._providers: dict[tuple[str, str], ConfiguredProvider | ProviderUnavailable] = {}
        self._starting: dict[tuple[str, str], threading.Lock] = {}
        self.events: list[SessionEvent] = []
        self.log_path = self._new_log_path()
        self.closed = False

    def __enter__(self) -> ProviderSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- per scan -----------------------------------------------------------------------------

    def begin_scan(self) -> None:
        """Forget failures from earlier scans (providers that work are kept)."""
        with self._lock:
            self._binaries = {k: v for k, v in self._binaries.items() if isinstance(v, ProviderBinary)}
            self._providers = {k: v for k, v in self._providers.items() if isinstance(v, ConfiguredProvider)}

    def in_use(self) -> list[ConfiguredProvider]:
        with self._lock:
            return [p for p in self._providers.values() if isinstance(p, ConfiguredProvider)]

    # --- finding and starting -----------------------------------------------------------------

    def binary_for(self, source: str, workspace: Path | None) -> ProviderBinary:
        key = (source, str(workspace or ""))
        with self._lock:
            known = self._binaries.get(key)
        if isinstance(known, ProviderBinary):
            return known
        if isinstance(known, ProviderUnavailable):
            raise known
        try:
            found: ProviderBinary | ProviderUnavailable = find_provider_binary(
                source, workspace, explicit_dirs=self.explicit_dirs, env=self._env
            )
        except ProviderNotFound as exc:
            found = ProviderUnavailable(str(exc), not_found=True)
        except (OSError, ValueError) as exc:
            found = ProviderUnavailable(f"provider {source} could not be looked up: {exc}")
        with self._lock:
            self._binaries[key] = found
        if isinstance(found, ProviderUnavailable):
            raise found
        return found

    def configured(self, source: str, workspace: Path | None, values: Mapping[str, Any]) -> ConfiguredProvider:
        """A started provider configured with `values` (the provider block's arguments; the rest
        null). Started once per (binary, configuration) and kept."""
        binary = self.binary_for(source, workspace)
        key = (str(binary.path), _config_key(values))
        with self._lock:
            if self.closed:
                raise ProviderUnavailable("provider session is closed")
            known = self._providers.get(key)
            if known is None:
                gate = self._starting.setdefault(key, threading.Lock())
        if isinstance(known, ConfiguredProvider):
            return known
        if isinstance(known, ProviderUnavailable):
            raise known
        with gate:  # one start per key even when many reader threads ask at once
            with self._lock:
                known = self._providers.get(key)
            if isinstance(known, ConfiguredProvider):
                return known
            if isinstance(known, ProviderUnavailable):
                raise known
            try:
                provider: ConfiguredProvider | ProviderUnavailable = self._start(binary, dict(values))
            except ProviderUnavailable as exc:
                provider = exc
            with self._lock:
                self._providers[key] = provider
        if isinstance(provider, ProviderUnavailable):
            raise provider
        return provider

    def _start(self, binary: ProviderBinary, values: dict[str, Any]) -> ConfiguredProvider:
        client = self._launch(binary)
        try:
            config = shape_block(client.schema.provider.block, values)
        except ShapeError as exc:
            client.stop()
            raise ProviderUnavailable(f"provider {binary.source} configuration: {exc}", configuration=True) from None
        except ProviderError as exc:
            client.stop()
            raise ProviderUnavailable(f"provider {binary.source} schema could not be read: {exc}") from None
        self._configure(client, binary, config)
        return ConfiguredProvider(binary=binary, config=config, client=client)

    def _launch(self, binary: ProviderBinary) -> ProviderClient:
        process = ProviderProcess(binary.path, log_path=self.log_path, debug=self.debug,
                                  env=dict(self._env) if self._env is not None else None)
        try:
            process.start()
        except ProviderStartError as exc:
            raise ProviderUnavailable(f"provider {binary.source} {binary.version} did not start: {exc}") from None
        return ProviderClient(process, cache_dir=self.cache_dir / "schemas")

    def _configure(self, client: ProviderClient, binary: ProviderBinary, config: dict[str, Any]) -> None:
        try:
            client.configure(config)
        except ProviderDiagnostic as exc:
            client.stop()
            raise ProviderUnavailable(
                f"provider {binary.source} rejected its configuration: {exc.summary}"
                + (f" ({_first_line(exc.detail)})" if exc.detail else ""),
                configuration=True,
            ) from None
        except (ProviderError, CtyError) as exc:
            client.stop()
            raise ProviderUnavailable(f"provider {binary.source} could not be configured: {exc}") from None

    def recover(self, provider: ConfiguredProvider, generation: int) -> bool:
        """After a crash seen on `generation`: restart once per session. True when a working
        provider is there afterwards (restarted now or already by another thread)."""
        with provider.lock:
            if provider.generation != generation:
                return provider.client.process.alive()
            if provider.restarts >= self.max_restarts or self.closed:
                return False
            reason = provider.client._crash_reason()
            provider.client.process.kill()
            try:
                client = self._launch(provider.binary)
                self._configure(client, provider.binary, provider.config)
            except ProviderUnavailable as exc:
                self.events.append(SessionEvent(f"{provider.label}: {reason}; restart failed: {exc}"))
                provider.restarts = self.max_restarts
                return False
            provider.client = client
            provider.generation += 1
            provider.restarts += 1
            self.events.append(SessionEvent(f"{provider.label}: {reason}; restarted"))
            return True

    # --- ending -------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop every provider this session started."""
        with self._lock:
            self.closed = True
            providers = [p for p in self._providers.values() if isinstance(p, ConfiguredProvider)]
            self._providers.clear()
        for provider in providers:
            try:
                provider.client.stop()
            except Exception:  # noqa: BLE001 - tearing down: never mask the caller's outcome
                provider.client.process.kill()

    def _new_log_path(self) -> Path:
        logs = self.cache_dir / "logs"
        try:
            logs.mkdir(parents=True, exist_ok=True, mode=0o700)
            old = sorted(logs.glob("provider-*.log"))
            for stale in old[: max(0, len(old) - _KEEP_LOGS + 1)]:
                stale.unlink(missing_ok=True)
        except OSError:
            pass
        return logs / f"provider-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"


def _config_key(values: Mapping[str, Any]) -> str:
    return json.dumps(values, sort_keys=True, default=repr)


def _first_line(text: str) -> str:
    return scrub(text.strip().splitlines()[0])[:200] if text.strip() else ""


__all__ = [
    "ConfiguredProvider",
    "ProviderCrashed",
    "ProviderSession",
    "ProviderUnavailable",
    "SessionEvent",
]
