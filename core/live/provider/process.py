"""A provider plugin process: start it with go-plugin's handshake, talk gRPC over its socket, end it.

A Terraform provider is a separate program that serves gRPC once started with the magic cookie:
it prints one line `CORE|APP|NETWORK|ADDRESS|grpc|CERT` on stdout and listens on that address
(a unix socket here; no TLS when the client offers no certificate). What it writes afterwards —
its own stdout/stderr, and the same streamed through go-plugin's stdio service — goes to a log
file, secrets scrubbed, never to the terminal.

A provider must never outlive driftdeck: every process is killed at interpreter exit (Ctrl-C
included) and, on Linux, by the kernel when driftdeck dies (PR_SET_PDEATHSIG). The death signal
is tied to the *thread* that forked, so every provider is forked by one long-lived launcher thread
rather than by whichever worker thread asked first.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import os
import queue
import re
import selectors
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import grpc

from driftdeck.core.live.provider import goplugin_pb2

MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
SUPPORTED_PROTOCOLS = (5,)
HANDSHAKE_TIMEOUT_S = 60.0  # 0.9 s quiet, 2.5 s under load on a 2-core machine: generous
# GetSchema of the AWS provider is 4.8 MiB, above gRPC's 4 MiB default.
_MAX_MESSAGE = 256 * 1024 * 1024
_CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", _MAX_MESSAGE),
    ("grpc.max_send_message_length", _MAX_MESSAGE),
]


# terraform-plugin-log reads one level per logger; TF_LOG alone does not quiet the SDKs.
_LOG_LEVEL_KEYS = ("TF_LOG_PROVIDER", "TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_SDK_MUX",
                   "TF_LOG_SDK_HELPER_SCHEMA", "TF_LOG_SDK_HELPER_RESOURCE")


class ProviderStartError(Exception):
    """The provider did not start or did not complete the handshake (one line, no secrets)."""


@dataclass(frozen=True)
class Handshake:
    core_version: int
    protocol_version: int
    network: str  # "unix" or "tcp"
    address: str
    protocol: str  # "grpc"

    @property
    def target(self) -> str:
        return f"unix:{self.address}" if self.network == "unix" else self.address


def parse_handshake(line: str) -> Handshake:
    """go-plugin's handshake line; ProviderStartError when it is not one this client speaks."""
    parts = line.strip().split("|")
    if len(parts) < 4:
        raise ProviderStartError(f"unexpected handshake from the provider: {scrub(line.strip())[:120]!r}")
    try:
        core, proto = int(parts[0]), int(parts[1])
    except ValueError:
        raise ProviderStartError(f"unexpected handshake from the provider: {scrub(line.strip())[:120]!r}") from None
    network, address = parts[2], parts[3]
    protocol = parts[4] if len(parts) > 4 and parts[4] else "netrpc"
    if core != 1:
        raise ProviderStartError(f"provider speaks go-plugin core protocol {core}; driftdeck speaks 1")
    if proto not in SUPPORTED_PROTOCOLS:
        raise ProviderStartError(f"provider speaks plugin protocol {proto}; driftdeck speaks {SUPPORTED_PROTOCOLS}")
    if network not in ("unix", "tcp") or protocol != "grpc":
        raise ProviderStartError(f"provider offers {network}/{protocol}; driftdeck needs gRPC over unix or tcp")
    if len(parts) > 5 and parts[5]:
        raise ProviderStartError("provider asks for TLS (PLUGIN_CLIENT_CERT is set in the environment): unset it")
    return Handshake(core, proto, network, address, protocol)


# Credentials and tokens that an SDK debug log may contain; replaced before anything is written.
_SECRET_PATTERNS = [
    # `name = v`, `"name": "v"`, JSON quoted inside a log message (`\"name\":\"v\"`) and XML
    # (`<SessionToken>v</SessionToken>`, as STS answers are logged).
    re.compile(r"(?i)(aws_secret_access_key|secret_key|secretaccesskey|aws_session_token|session_token|sessiontoken|x-amz-security-token|authorization|password|token)(\\?[\"']?\s*[:=>]\s*\\?[\"']?)([^\s\"',}<]+)"),
    re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])"),  # secret access keys
    re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),  # access key ids
    re.compile(r"(Credential=)[^,\s]+"),
    re.compile(r"(Signature=)[0-9a-f]+"),
]


def scrub(text: str) -> str:
    """`text` with anything that looks like a credential replaced by `***`."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(_keep_name, text)
    return text


def _keep_name(match: re.Match[str]) -> str:
    # The groups before the secret (its name and separator) stay; the secret itself goes.
    kept = min(len(match.groups()), 2)
    return "".join(match.group(i) or "" for i in range(1, kept + 1)) + "***"


class _Launcher:
    """One daemon thread forks every provider, so the parent-death signal (bound to the forking
    thread on Linux) fires only when driftdeck itself ends."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[tuple[Callable[[], Any], queue.Queue[Any]]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run(self, job: Callable[[], Any]) -> Any:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="driftdeck-provider-launcher", daemon=True)
                self._thread.start()
        answer: queue.Queue[Any] = queue.Queue(maxsize=1)
        self._jobs.put((job, answer))
        kind, value = answer.get()
        if kind == "error":
            raise value
        return value

    def _loop(self) -> None:
        while True:
            job, answer = self._jobs.get()
            try:
                answer.put(("ok", job()))
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller's thread
                answer.put(("error", exc))


_LAUNCHER = _Launcher()
_LIVE: weakref.WeakSet[ProviderProcess] = weakref.WeakSet()


def _parent_death_signal() -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def set_signal() -> None:  # runs in the child between fork and exec: nothing but the syscall
        prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)

    return set_signal


_PDEATHSIG = _parent_death_signal()


class ProviderProcess:
    """One running provider plugin and its gRPC channel."""

    def __init__(self, executable: Path, *, log_path: Path | None = None, debug: bool = False,
                 env: dict[str, str] | None = None) -> None:
        self.executable = executable
        self.log_path = log_path
        self.debug = debug
        self._env = env
        self._proc: subprocess.Popen[bytes] | None = None
        self.handshake: Handshake | None = None
        self.channel: grpc.Channel | None = None
        self._log: IO[str] | None = None
        self._log_lock = threading.Lock()
        self._tail: deque[str] = deque(maxlen=40)  # last lines, to explain a crash
        self._stdio_call: Any = None
        self._stderr_drain: threading.Thread | None = None
        self.started_at: float | None = None

    # --- life cycle ---------------------------------------------------------------------------

    def start(self, timeout: float = HANDSHAKE_TIMEOUT_S) -> Handshake:
        """Fork the provider, wait for its handshake and open the channel."""
        env = dict(os.environ if self._env is None else self._env)
        env[MAGIC_COOKIE_KEY] = MAGIC_COOKIE_VALUE
        env["PLUGIN_PROTOCOL_VERSIONS"] = ",".join(str(v) for v in SUPPORTED_PROTOCOLS)
        env.pop("PLUGIN_CLIENT_CERT", None)  # plain gRPC on a private socket; see parse_handshake
        if not self.debug and not env.get("TF_LOG"):
            # Without levels the plugin SDKs log every call at trace level: megabytes per scan.
            for key in _LOG_LEVEL_KEYS:
                env.setdefault(key, "WARN")
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
            self._log = os.fdopen(fd, "a", encoding="utf-8", errors="replace")

        def spawn() -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                [str(self.executable)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                close_fds=True,
                preexec_fn=_PDEATHSIG,  # noqa: PLW1509 - only the prctl syscall runs there
            )

        started = time.monotonic()
        try:
            self._proc = _LAUNCHER.run(spawn)
        except OSError as exc:
            raise ProviderStartError(f"cannot start {self.executable}: {exc.strerror or exc}") from None
        _LIVE.add(self)
        self.started_at = started
        assert self._proc.stdout is not None and self._proc.stderr is not None
        self._stderr_drain = threading.Thread(target=self._drain, args=(self._proc.stderr, "stderr"),
                                              name="driftdeck-provider-stderr", daemon=True)
        self._stderr_drain.start()
        line = self._read_handshake_line(self._proc.stdout, started + timeout, timeout)
        threading.Thread(target=self._drain, args=(self._proc.stdout, "stdout"), name="driftdeck-provider-stdout",
                         daemon=True).start()
        try:
            self.handshake = parse_handshake(line)
        except ProviderStartError:
            self.kill()
            raise
        self.channel = grpc.insecure_channel(self.handshake.target, options=_CHANNEL_OPTIONS)
        try:
            grpc.channel_ready_future(self.channel).result(timeout=max(1.0, started + timeout - time.monotonic()))
        except grpc.FutureTimeoutError:
            self.kill()
            raise ProviderStartError(f"provider {self.executable.name} did not accept connections on its socket") from None
        self._stream_stdio()
        return self.handshake

    def _read_handshake_line(self, stdout: IO[bytes], deadline: float, timeout: float) -> str:
        selector = selectors.DefaultSelector()
        selector.register(stdout, selectors.EVENT_READ)
        buffer = b""
        try:
            while b"\n" not in buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.kill()
                    raise ProviderStartError(
                        f"provider {self.executable.name} did not complete the plugin handshake in {timeout:g} s"
                    )
                if not selector.select(timeout=min(remaining, 0.5)):
                    if self._proc is not None and self._proc.poll() is not None:
                        break
                    continue
                chunk = os.read(stdout.fileno(), 4096)
                if not chunk:
                    break
                buffer += chunk
        finally:
            selector.close()
        if b"\n" not in buffer:
            try:
                # Its stdout ended: it is exiting, or it closed stdout and went on running.
                assert self._proc is not None
                code = self._proc.wait(timeout=max(0.5, min(5.0, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                self.kill()
                raise ProviderStartError(
                    f"provider {self.executable.name} closed its output without a plugin handshake"
                ) from None
            self._drain_pause()
            detail = self.last_output() or "no output"
            self.kill()  # releases the log file; the process has ended
            raise ProviderStartError(
                f"provider {self.executable.name} exited before its plugin handshake (exit {code}): {detail}"
            )
        line, _, rest = buffer.partition(b"\n")
        if rest:
            self._write_log("stdout", rest.decode("utf-8", errors="replace"))
        return line.decode("utf-8", errors="replace")

    def _drain_pause(self) -> None:
        # Let the stderr thread copy everything a dying provider printed (its reason comes last):
        # it ends at end of file, once the provider (and whatever inherited its stderr) has exited.
        if self._stderr_drain is not None:
            self._stderr_drain.join(timeout=5)

    def _stream_stdio(self) -> None:
        """Drain go-plugin's stdio stream (the plugin's redirected stdout/stderr) into the log."""
        assert self.channel is not None
        method = self.channel.unary_stream(
            "/plugin.GRPCStdio/StreamStdio",
            request_serializer=goplugin_pb2.Empty.SerializeToString,
            response_deserializer=goplugin_pb2.StdioData.FromString,
        )
        try:
            self._stdio_call = method(goplugin_pb2.Empty())
        except grpc.RpcError:
            return

        def pump() -> None:
            try:
                for item in self._stdio_call:
                    self._write_log("stderr" if item.channel == 2 else "stdout", item.data.decode("utf-8", errors="replace"))
            except grpc.RpcError:
                pass  # the provider ended or does not offer the service

        threading.Thread(target=pump, name="driftdeck-provider-stdio", daemon=True).start()

    def _drain(self, stream: IO[bytes], name: str) -> None:
        try:
            for raw in iter(stream.readline, b""):
                self._write_log(name, raw.decode("utf-8", errors="replace"))
        except (OSError, ValueError):
            pass

    def _write_log(self, stream: str, text: str) -> None:
        for line in text.splitlines():
            clean = scrub(line.rstrip())
            if not clean:
                continue
            self._tail.append(clean)
            if self.debug:
                print(f"[provider {stream}] {clean}", file=sys.stderr)
            with self._log_lock:
                if self._log is not None:
                    try:
                        self._log.write(f"{stream}: {clean}\n")
                        self._log.flush()
                    except (OSError, ValueError):
                        pass

    def last_output(self, lines: int = 3) -> str:
        """The provider's last few output lines (scrubbed), e.g. a panic message."""
        tail = list(self._tail)[-lines:]
        return " | ".join(tail)[:400]

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def exit_code(self) -> int | None:
        return self._proc.poll() if self._proc is not None else None

    def shutdown(self, grace: float = 2.0) -> None:
        """Ask go-plugin's controller to shut down; kill if it has not ended within `grace`."""
        if self.channel is not None and self.alive():
            try:
                self.channel.unary_unary(
                    "/plugin.GRPCController/Shutdown",
                    request_serializer=goplugin_pb2.Empty.SerializeToString,
                    response_deserializer=goplugin_pb2.Empty.FromString,
                )(goplugin_pb2.Empty(), timeout=grace)
            except grpc.RpcError:
                pass
            if self._proc is not None:
                try:
                    self._proc.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    pass
        self.kill()

    def kill(self) -> None:
        """End the process now (idempotent)."""
        if self._stdio_call is not None:
            try:
                self._stdio_call.cancel()
            except Exception:  # noqa: BLE001 - best effort while tearing down
                pass
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        proc = self._proc
        if proc is not None and proc.poll() is None:
            try:
                proc.kill()
            except OSError:
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        with self._log_lock:
            if self._log is not None:
                try:
                    self._log.close()
                except OSError:
                    pass
                self._log = None
        _LIVE.discard(self)


def kill_all() -> None:
    """Kill every provider this process started (interpreter exit, Ctrl-C)."""
    for proc in list(_LIVE):
        proc.kill()


atexit.register(kill_all)
