"""Starting provider plugins: go-plugin's handshake and its failures (with fake plugins), the
environment a plugin sees, log scrubbing, and the real provider's life cycle: kill, parent death,
and the launcher thread that keeps a provider alive after the thread that asked for it ends."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from provider_support import require_aws_provider

from driftdeck.core.live.provider.process import (
    MAGIC_COOKIE_KEY,
    MAGIC_COOKIE_VALUE,
    Handshake,
    ProviderProcess,
    ProviderStartError,
    parse_handshake,
    scrub,
)

# --- helpers ------------------------------------------------------------------------------------


def _fake_plugin(tmp_path: Path, body: str, name: str = "terraform-provider-fake") -> Path:
    """An executable Python script standing in for a provider plugin."""
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
    path.chmod(0o755)
    return path


def _pid_exists(pid: int) -> bool:
    """True while `pid` is a live process (a zombie awaiting its reaper counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    state = next((line.split()[1] for line in status.splitlines() if line.startswith("State:")), "?")
    return state not in ("Z", "X")


def _wait_gone(pid: int, deadline_s: float = 30.0) -> bool:
    """Wait (up to the deadline) for `pid` to end; False if it is still running then. Uses a
    pidfd (readable once the process has terminated) where the kernel offers one."""
    end = time.monotonic() + deadline_s
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        fd = -1
    try:
        while _pid_exists(pid):
            remaining = end - time.monotonic()
            if remaining <= 0:
                return False
            if fd >= 0:
                select.select([fd], [], [], remaining)
            else:
                time.sleep(min(0.05, remaining))  # polling, where there is no pidfd
        return True
    finally:
        if fd >= 0:
            os.close(fd)


def _list_services(channel: grpc.Channel) -> list[str]:
    """A real round trip: the services the plugin serves (gRPC reflection)."""
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    answers = list(stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]),
                                             timeout=30))
    return [s.name for s in answers[0].list_services_response.service]


@pytest.fixture(scope="session")
def aws_provider_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real AWS provider executable (the test skips where this machine has none)."""
    return require_aws_provider(tmp_path_factory)


@pytest.fixture
def started() -> Iterator[list[ProviderProcess]]:
    """Processes a test starts, killed at its end whatever happened."""
    processes: list[ProviderProcess] = []
    yield processes
    for process in processes:
        process.kill()


# --- fake plugins: handshake failures -------------------------------------------------------------


def test_plugin_exiting_early_reports_exit_code_and_stderr(tmp_path: Path, started: list[ProviderProcess]) -> None:
    """A plugin that dies before its handshake: the error names the exit code and its last words."""
    plugin = _fake_plugin(tmp_path, """\
        import sys
        sys.stderr.write("boom\\n")
        sys.exit(3)
    """)
    process = ProviderProcess(plugin)
    started.append(process)
    with pytest.raises(ProviderStartError) as caught:
        process.start(timeout=30)
    assert "exit 3" in str(caught.value)
    assert "boom" in str(caught.value)
    assert not process.alive()


def test_chatty_plugin_exiting_early_reports_its_last_line(tmp_path: Path, started: list[ProviderProcess]) -> None:
    """The reason a dying plugin gives comes last (after, say, a long stack trace): the error must
    quote it, not whatever the stderr reader had copied when the exit was noticed."""
    plugin = _fake_plugin(tmp_path, """\
        import sys
        for i in range(3000):
            sys.stderr.write(f"goroutine {i} [running]: some/package.function(0x1234, 0x5678)\\n")
        sys.stderr.write("boom\\n")
        sys.exit(3)
    """)
    process = ProviderProcess(plugin)
    started.append(process)
    with pytest.raises(ProviderStartError) as caught:
        process.start(timeout=30)
    assert "exit 3" in str(caught.value)
    assert str(caught.value).endswith("boom")


def test_malformed_handshake_line(tmp_path: Path, started: list[ProviderProcess]) -> None:
    """A first stdout line that is not go-plugin's handshake is refused and the plugin killed."""
    plugin = _fake_plugin(tmp_path, """\
        import sys, time
        print("hello, I am not a plugin", flush=True)
        time.sleep(3600)
    """)
    process = ProviderProcess(plugin)
    started.append(process)
    with pytest.raises(ProviderStartError, match="unexpected handshake.*hello, I am not a plugin"):
        process.start(timeout=30)
    assert not process.alive()


def test_unsupported_protocol_version(tmp_path: Path, started: list[ProviderProcess]) -> None:
    """A plugin speaking protocol 6 only gets a clear error naming both versions."""
    plugin = _fake_plugin(tmp_path, """\
        import time
        print("1|6|unix|/x|grpc|", flush=True)
        time.sleep(3600)
    """)
    process = ProviderProcess(plugin)
    started.append(process)
    with pytest.raises(ProviderStartError, match=r"plugin protocol 6; driftdeck speaks \(5,\)"):
        process.start(timeout=30)
    assert not process.alive()


def test_silent_plugin_times_out_and_is_killed(tmp_path: Path, started: list[ProviderProcess]) -> None:
    """A plugin that never writes its handshake fails start() at the deadline, and is killed."""
    plugin = _fake_plugin(tmp_path, """\
        import time
        time.sleep(3600)
    """)
    process = ProviderProcess(plugin)
    started.append(process)
    with pytest.raises(ProviderStartError, match=r"did not complete the plugin handshake in 1 s"):
        process.start(timeout=1.0)
    pid = process.pid
    assert pid is not None
    assert not process.alive()
    assert not _pid_exists(pid)


def test_plugin_closing_stdout_without_handshake(tmp_path: Path, started: list[ProviderProcess]) -> None:
    """A plugin that closes its stdout but keeps running is a start error too (not a stray
    TimeoutExpired), and it is killed."""
    plugin = _fake_plugin(tmp_path, """\
        import os, sys, time
        sys.stderr.write("closing stdout\\n")
        sys.stderr.flush()
        os.close(1)
        time.sleep(3600)
    """)
    process = ProviderProcess(plugin)
    started.append(process)
    with pytest.raises(ProviderStartError, match="without a plugin handshake"):
        process.start(timeout=1.0)
    pid = process.pid
    assert pid is not None
    assert not process.alive()
    assert not _pid_exists(pid)


def test_plugin_environment(tmp_path: Path, started: list[ProviderProcess]) -> None:
    """The plugin sees go-plugin's magic cookie and protocol list, quiet SDK log levels, no client
    certificate, and the rest of the environment it was given."""
    out = tmp_path / "env.json"
    plugin = _fake_plugin(tmp_path, f"""\
        import json, os, sys
        with open({str(out)!r}, "w") as handle:
            json.dump(dict(os.environ), handle)
        sys.exit(1)
    """)
    env = {"PATH": os.environ.get("PATH", "/usr/bin"), "KEEP_ME": "yes", "PLUGIN_CLIENT_CERT": "-----BEGIN..."}
    process = ProviderProcess(plugin, env=env)
    started.append(process)
    with pytest.raises(ProviderStartError, match="exit 1"):
        process.start(timeout=30)
    seen = json.loads(out.read_text())
    assert seen[MAGIC_COOKIE_KEY] == MAGIC_COOKIE_VALUE
    assert seen["TF_PLUGIN_MAGIC_COOKIE"] == MAGIC_COOKIE_VALUE
    assert seen["PLUGIN_PROTOCOL_VERSIONS"] == "5"
    assert "PLUGIN_CLIENT_CERT" not in seen
    assert seen["KEEP_ME"] == "yes"
    assert seen["TF_LOG_PROVIDER"] == "WARN"


# --- parse_handshake ----------------------------------------------------------------------------


def test_parse_handshake_accepts_grpc_over_unix_and_tcp() -> None:
    unix = parse_handshake("1|5|unix|/tmp/plugin123|grpc|\n")
    assert unix == Handshake(1, 5, "unix", "/tmp/plugin123", "grpc")
    assert unix.target == "unix:/tmp/plugin123"
    tcp = parse_handshake("1|5|tcp|127.0.0.1:1234|grpc")
    assert tcp.target == "127.0.0.1:1234"


@pytest.mark.parametrize("line, message", [
    ("", "unexpected handshake"),
    ("1|5|unix", "unexpected handshake"),
    ("x|5|unix|/x|grpc|", "unexpected handshake"),
    ("1|five|unix|/x|grpc|", "unexpected handshake"),
    ("2|5|unix|/x|grpc|", "core protocol 2"),
    ("1|4|unix|/x|grpc|", "plugin protocol 4"),
    ("1|5|unix|/x|netrpc|", "needs gRPC"),
    ("1|5|unix|/x", "needs gRPC"),  # no protocol field means net/rpc
    ("1|5|udp|/x|grpc|", "needs gRPC over unix or tcp"),
    ("1|5|unix|/x|grpc|MIIBszCCAVmgAwIBAgIRAJ", "TLS"),
])
def test_parse_handshake_refuses(line: str, message: str) -> None:
    with pytest.raises(ProviderStartError, match=message):
        parse_handshake(line)


def test_parse_handshake_error_does_not_echo_secrets() -> None:
    with pytest.raises(ProviderStartError) as caught:
        parse_handshake("AKIAIOSFODNN7EXAMPLE is my key")
    assert "AKIAIOSFODNN7EXAMPLE" not in str(caught.value)


# --- scrub --------------------------------------------------------------------------------------

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD" + "Xy9z" * 60 + "=="
SIGNATURE = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"


@pytest.mark.parametrize("line, secrets", [
    (f"aws_secret_access_key = {SECRET}", [SECRET]),
    (f'{{"SecretAccessKey": "{SECRET}"}}', [SECRET]),
    (f"the key is {SECRET} ok", [SECRET]),
    ("using access key AKIAIOSFODNN7EXAMPLE and ASIAY34FZKBOKMUTVV7A", ["AKIAIOSFODNN7EXAMPLE",
                                                                       "ASIAY34FZKBOKMUTVV7A"]),
    (f"aws_session_token={TOKEN}", [TOKEN]),
    (f"X-Amz-Security-Token: {TOKEN}", [TOKEN]),
    (f'"http.request.header.x_amz_security_token":"{TOKEN}"', [TOKEN]),
    (f"<AssumeRoleResult><Credentials><SessionToken>{TOKEN}</SessionToken><SecretAccessKey>{SECRET}"
     "</SecretAccessKey></Credentials></AssumeRoleResult>", [TOKEN, SECRET]),
    (f'@message="body: {{\\"SessionToken\\":\\"{TOKEN}\\"}}"', [TOKEN]),
    ("Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
     f"SignedHeaders=host;range;x-amz-date, Signature={SIGNATURE}",
     ["AKIAIOSFODNN7EXAMPLE", "20130524/us-east-1/s3/aws4_request", SIGNATURE, "AWS4-HMAC-SHA256"]),
    ('password: "hunter2"', ["hunter2"]),
], ids=["secret-key-assignment", "secret-key-json", "bare-secret-key", "access-key-ids", "session-token",
        "security-token-header", "security-token-tflog-json", "sts-xml", "escaped-json-in-message",
        "sigv4-authorization", "password"])
def test_scrub_removes_credentials(line: str, secrets: list[str]) -> None:
    clean = scrub(line)
    for secret in secrets:
        assert secret not in clean, clean
    assert "***" in clean


def test_scrub_keeps_what_names_the_secret() -> None:
    assert scrub(f"aws_secret_access_key = {SECRET}") == "aws_secret_access_key = ***"
    assert scrub("Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/x, Signature=abc123").startswith(
        "Authorization: ***")


@pytest.mark.parametrize("line", [
    "creating SQS queue q in us-east-1 (delay_seconds=0, visibility_timeout_seconds=30)",
    "the token bucket rate limiter has capacity 10000; password policy unchanged",
    "[WARN] provider.terraform-provider-aws_v5.100.0_x5: Response contains error diagnostic: tf_rpc=Configure",
    "arn:aws:iam::123456789012:role/deploy assumed",
])
def test_scrub_keeps_ordinary_text(line: str) -> None:
    assert scrub(line) == line


# --- the real provider ----------------------------------------------------------------------------


def test_real_provider_kill(aws_provider_binary: Path, started: list[ProviderProcess]) -> None:
    """The real provider starts, serves the plugin protocol, and kill() ends it for good."""
    process = ProviderProcess(aws_provider_binary)
    started.append(process)
    handshake = process.start()
    assert handshake.protocol_version == 5 and handshake.protocol == "grpc"
    assert process.channel is not None
    assert "tfplugin5.Provider" in _list_services(process.channel)
    pid = process.pid
    assert pid is not None and _pid_exists(pid)
    process.kill()
    assert not process.alive()
    assert not _pid_exists(pid)
    process.kill()  # idempotent


_PARENT = """\
import sys
from pathlib import Path
from driftdeck.core.live.provider.process import ProviderProcess
process = ProviderProcess(Path(sys.argv[1]))
process.start()
print(process.pid, flush=True)
sys.stdin.read()  # until the test kills this process
"""


def test_real_provider_dies_with_its_parent(aws_provider_binary: Path) -> None:
    """A provider never outlives driftdeck: SIGKILL the Python process that started it (no atexit
    runs) and the kernel ends the provider too (PR_SET_PDEATHSIG)."""
    parent = subprocess.Popen([sys.executable, "-c", _PARENT, str(aws_provider_binary)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        line = parent.stdout.readline()
        assert line.strip().isdigit(), f"parent printed {line!r}; stderr: {parent.stderr.read() if parent.stderr else ''}"
        pid = int(line)
        assert _pid_exists(pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
        assert _wait_gone(pid, 30.0), f"provider {pid} outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(timeout=30)


def test_real_provider_outlives_the_thread_that_started_it(aws_provider_binary: Path,
                                                           started: list[ProviderProcess]) -> None:
    """The parent-death signal is tied to the forking thread, so providers are forked by one
    long-lived launcher thread: one started from a short-lived worker survives the worker."""
    process = ProviderProcess(aws_provider_binary)
    started.append(process)
    errors: list[BaseException] = []
    native_id: list[int] = []

    def worker() -> None:
        native_id.append(threading.get_native_id())
        try:
            process.start()
        except BaseException as exc:  # noqa: B036 - handed to the test thread
            errors.append(exc)

    thread = threading.Thread(target=worker, name="short-lived-worker")
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive() and not errors, errors
    # join() returns before the OS thread is gone; wait for the kernel to have ended it (the
    # moment a parent-death signal would be sent).
    task = Path(f"/proc/self/task/{native_id[0]}")
    end = time.monotonic() + 30
    while task.exists() and time.monotonic() < end:
        time.sleep(0.01)
    assert not task.exists()
    assert process.channel is not None
    assert "tfplugin5.Provider" in _list_services(process.channel)
    assert process.alive()
    assert process.pid is not None and _pid_exists(process.pid)
