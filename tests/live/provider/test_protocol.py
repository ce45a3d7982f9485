"""Our hand-written plugin protocol against the real AWS provider: descriptors, generated code,
GetSchema with its disk cache, and UpgradeResourceState (no AWS account needed).

The provider serves its own FileDescriptorProtos over gRPC server reflection; every message,
field, enum and RPC that tfplugin5.proto / goplugin.proto declare must be the provider's.
"""

from __future__ import annotations

import ast
import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from provider_support import require_aws_provider

from driftdeck.core import cty
from driftdeck.core.live.provider import goplugin_pb2, tfplugin5_pb2
from driftdeck.core.live.provider.client import ProviderClient
from driftdeck.core.live.provider.process import ProviderProcess
from driftdeck.core.live.provider.schema import binary_digest, load_cached_schema

PROVIDER_DIR = Path(tfplugin5_pb2.__file__).resolve().parent


@pytest.fixture(scope="session")
def aws_provider_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real AWS provider executable (the test skips where this machine has none)."""
    return require_aws_provider(tmp_path_factory)


@pytest.fixture(scope="module")
def provider(aws_provider_binary: Path) -> Iterator[ProviderProcess]:
    """One started provider process shared by this module's tests."""
    process = ProviderProcess(aws_provider_binary)
    process.start()
    yield process
    process.kill()


# --- reflection helpers --------------------------------------------------------------------------


def _reflected_files(process: ProviderProcess, symbol: str) -> dict[str, descriptor_pb2.FileDescriptorProto]:
    """Every FileDescriptorProto the provider sends for the file declaring `symbol`, by name."""
    assert process.channel is not None
    stub = reflection_pb2_grpc.ServerReflectionStub(process.channel)
    request = reflection_pb2.ServerReflectionRequest(file_containing_symbol=symbol)
    answers = list(stub.ServerReflectionInfo(iter([request]), timeout=30))
    assert len(answers) == 1
    assert answers[0].WhichOneof("message_response") == "file_descriptor_response", answers[0]
    files = [
        descriptor_pb2.FileDescriptorProto.FromString(raw)
        for raw in answers[0].file_descriptor_response.file_descriptor_proto
    ]
    return {f.name: f for f in files}


def _file_declaring(files: dict[str, descriptor_pb2.FileDescriptorProto], package: str,
                    service: str) -> descriptor_pb2.FileDescriptorProto:
    for f in files.values():
        if f.package == package and any(s.name == service for s in f.service):
            return f
    raise AssertionError(f"no file declares {package}.{service}: {sorted(files)}")


def _messages(fd: descriptor_pb2.FileDescriptorProto) -> dict[str, descriptor_pb2.DescriptorProto]:
    """Every message of the file, nested ones included, by full name (`.pkg.Outer.Inner`)."""
    out: dict[str, descriptor_pb2.DescriptorProto] = {}

    def walk(prefix: str, messages: list[descriptor_pb2.DescriptorProto]) -> None:
        for m in messages:
            name = f"{prefix}.{m.name}"
            out[name] = m
            walk(name, list(m.nested_type))

    walk(f".{fd.package}", list(fd.message_type))
    return out


def _enums(fd: descriptor_pb2.FileDescriptorProto) -> dict[str, descriptor_pb2.EnumDescriptorProto]:
    out = {f".{fd.package}.{e.name}": e for e in fd.enum_type}
    for name, m in _messages(fd).items():
        out.update({f"{name}.{e.name}": e for e in m.enum_type})
    return out


def _our_file(module: object) -> descriptor_pb2.FileDescriptorProto:
    fd = descriptor_pb2.FileDescriptorProto()
    fd.ParseFromString(module.DESCRIPTOR.serialized_pb)  # type: ignore[attr-defined]
    return fd


def _assert_messages_match(ours: descriptor_pb2.FileDescriptorProto, theirs: descriptor_pb2.FileDescriptorProto,
                           only: set[str] | None = None) -> int:
    """Each of our messages (or those named in `only`) has the provider's fields; returns how many
    fields were checked."""
    their_messages = _messages(theirs)
    checked = 0
    for name, mine in _messages(ours).items():
        if only is not None and name not in only:
            continue
        assert name in their_messages, f"{name} is not a message of the provider's {theirs.name}"
        their_fields = {f.name: f for f in their_messages[name].field}
        their_oneofs = [o.name for o in their_messages[name].oneof_decl]
        my_oneofs = [o.name for o in mine.oneof_decl]
        # A map field is wire-identical to a repeated entry message, so ours may spell the
        # provider's map as one (RawState.flatmap does); a map of ours must be a map of theirs.
        if mine.options.map_entry:
            assert their_messages[name].options.map_entry, f"{name} is a map entry, the provider's is not"
        for field in mine.field:
            where = f"{name}.{field.name}"
            assert field.name in their_fields, f"{where} is not a field of the provider's {name}"
            other = their_fields[field.name]
            assert (field.number, field.type, field.label, field.type_name) == (
                other.number, other.type, other.label, other.type_name
            ), f"{where}: ours {field.number}/{field.type}/{field.label}/{field.type_name!r}, provider's "\
               f"{other.number}/{other.type}/{other.label}/{other.type_name!r}"
            mine_oneof = my_oneofs[field.oneof_index] if field.HasField("oneof_index") else None
            their_oneof = their_oneofs[other.oneof_index] if other.HasField("oneof_index") else None
            assert mine_oneof == their_oneof, f"{where}: oneof {mine_oneof!r} vs the provider's {their_oneof!r}"
            checked += 1
    return checked


def _assert_enums_match(ours: descriptor_pb2.FileDescriptorProto, theirs: descriptor_pb2.FileDescriptorProto,
                        only: set[str] | None = None) -> None:
    their_enums = _enums(theirs)
    for name, mine in _enums(ours).items():
        if only is not None and name not in only:
            continue
        assert name in their_enums, f"{name} is not an enum of the provider's {theirs.name}"
        their_values = {v.name: v.number for v in their_enums[name].value}
        for value in mine.value:
            assert their_values.get(value.name) == value.number, (
                f"{name}.{value.name} = {value.number}; the provider's is {their_values.get(value.name)}"
            )


# --- descriptors against the provider's own -----------------------------------------------------


def test_tfplugin5_messages_match_the_provider(provider: ProviderProcess) -> None:
    """Every message (nested too), field and enum value of our tfplugin5.proto is the provider's."""
    theirs = _file_declaring(_reflected_files(provider, "tfplugin5.Provider"), "tfplugin5", "Provider")
    ours = _our_file(tfplugin5_pb2)
    assert ours.package == theirs.package == "tfplugin5"
    checked = _assert_messages_match(ours, theirs)
    _assert_enums_match(ours, theirs)
    assert checked > 80  # the comparison really walked the nested messages


def test_tfplugin5_rpcs_match_the_provider(provider: ProviderProcess) -> None:
    """Every RPC we declare exists on the provider's service with the same request/response types."""
    theirs = _file_declaring(_reflected_files(provider, "tfplugin5.Provider"), "tfplugin5", "Provider")
    ours = _our_file(tfplugin5_pb2)
    (my_service,) = ours.service
    (their_service,) = [s for s in theirs.service if s.name == my_service.name]
    their_methods = {m.name: m for m in their_service.method}
    assert my_service.method
    for method in my_service.method:
        assert method.name in their_methods, f"the provider has no RPC {method.name}"
        other = their_methods[method.name]
        assert (method.input_type, method.output_type) == (other.input_type, other.output_type), method.name
        assert (method.client_streaming, method.server_streaming) == (other.client_streaming, other.server_streaming)


def test_goplugin_stdio_matches_the_provider(provider: ProviderProcess) -> None:
    """plugin.StdioData (and its Channel enum) is what go-plugin's GRPCStdio streams; our Empty is
    google.protobuf.Empty's (fieldless) wire form."""
    files = _reflected_files(provider, "plugin.GRPCStdio")
    theirs = _file_declaring(files, "plugin", "GRPCStdio")
    ours = _our_file(goplugin_pb2)
    _assert_messages_match(ours, theirs, only={".plugin.StdioData"})
    _assert_enums_match(ours, theirs, only={".plugin.StdioData.Channel"})
    (stream,) = [m for s in theirs.service if s.name == "GRPCStdio" for m in s.method if m.name == "StreamStdio"]
    assert stream.output_type == ".plugin.StdioData" and stream.server_streaming
    assert stream.input_type == ".google.protobuf.Empty"
    assert not _messages(ours)[".plugin.Empty"].field


# --- the committed generated code --------------------------------------------------------------


def _serialized_file(generated: Path) -> bytes:
    """The FileDescriptorProto bytes a protoc-generated module registers (read, not executed)."""
    tree = ast.parse(generated.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "AddSerializedFile":
            value = ast.literal_eval(node.args[0])
            assert isinstance(value, bytes)
            return value
    raise AssertionError(f"{generated} registers no serialized descriptor")


@pytest.mark.parametrize("proto, module", [("tfplugin5.proto", tfplugin5_pb2), ("goplugin.proto", goplugin_pb2)])
def test_committed_pb2_is_what_protoc_generates(proto: str, module: object, tmp_path: Path) -> None:
    """The committed *_pb2.py files hold exactly the descriptor protoc makes of the .proto today."""
    proc = subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{PROVIDER_DIR}", f"--python_out={tmp_path}",
         str(PROVIDER_DIR / proto)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    regenerated = _serialized_file(tmp_path / proto.replace(".proto", "_pb2.py"))
    committed: bytes = module.DESCRIPTOR.serialized_pb  # type: ignore[attr-defined]
    assert descriptor_pb2.FileDescriptorProto.FromString(committed) == descriptor_pb2.FileDescriptorProto.FromString(
        regenerated
    ), f"core/live/provider/{proto} changed without regenerating its _pb2.py (see the command in its header)"
    assert committed == regenerated
    # And what is committed is what the committed module file says (not a stale installed copy).
    assert _serialized_file(PROVIDER_DIR / proto.replace(".proto", "_pb2.py")) == committed


# --- GetSchema and its cache, UpgradeResourceState ----------------------------------------------


def _cache_file(cache_dir: Path, binary: Path) -> Path:
    return cache_dir / f"schema-{binary_digest(binary, cache_dir)}.pb"


def test_get_schema_then_cache_on_a_new_process(provider: ProviderProcess, aws_provider_binary: Path,
                                               tmp_path: Path) -> None:
    """GetSchema lists the AWS resource types; a second process with the same cache dir is served
    from the cache, and the cache files are private to the owner."""
    cache = tmp_path / "cache"
    first = ProviderClient(provider, cache_dir=cache)
    schema = first.schema
    assert first.schema_from_cache is False
    assert len(schema.resource_types) >= 1500
    attribute = schema.resource("aws_sqs_queue").block.attributes["visibility_timeout_seconds"]
    assert attribute.type == cty.NUMBER
    for path in cache.iterdir():
        assert stat.S_IMODE(path.lstat().st_mode) == 0o600, path
        assert stat.S_ISREG(path.lstat().st_mode), path
    assert _cache_file(cache, aws_provider_binary).is_file()

    second_process = ProviderProcess(aws_provider_binary)
    second_process.start()
    try:
        second = ProviderClient(second_process, cache_dir=cache)
        again = second.schema
        assert second.schema_from_cache is True
        assert again.resource_types == schema.resource_types
        assert again.type_of("aws_sqs_queue") == schema.type_of("aws_sqs_queue")
    finally:
        second_process.kill()


@pytest.mark.parametrize("damage", ["flip-body-byte", "flip-header-byte", "truncate"])
def test_damaged_cache_is_not_used(provider: ProviderProcess, aws_provider_binary: Path, tmp_path: Path,
                                   damage: str) -> None:
    """A cache file edited by one byte or cut short falls back to GetSchema (and is rewritten whole)."""
    cache = tmp_path / "cache"
    assert ProviderClient(provider, cache_dir=cache).schema.resource_types
    path = _cache_file(cache, aws_provider_binary)
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        del data[len(data) // 2:]
    else:
        at = data.index(b"\n") + 1000 if damage == "flip-body-byte" else data.index(b'"body"') + 12
        data[at] ^= 0x01
    path.write_bytes(bytes(data))

    client = ProviderClient(provider, cache_dir=cache)
    schema = client.schema
    assert client.schema_from_cache is False
    assert "aws_sqs_queue" in schema.resource_types
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    repaired = ProviderClient(provider, cache_dir=cache)
    assert repaired.schema.resource_types
    assert repaired.schema_from_cache is True


def test_planted_symlink_is_not_followed(provider: ProviderProcess, aws_provider_binary: Path,
                                         tmp_path: Path) -> None:
    """A symlink at the cache file's path is neither read nor written through: the file it points
    to keeps its content, and the cache becomes a regular file of its own."""
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    path = _cache_file(cache, aws_provider_binary)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    path.symlink_to(victim)

    client = ProviderClient(provider, cache_dir=cache)
    assert client.schema.resource_types
    assert client.schema_from_cache is False
    assert victim.read_text() == "precious\n"
    assert not path.is_symlink() and path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_upgrade_resource_state_decodes_to_the_full_object(provider: ProviderProcess, tmp_path: Path) -> None:
    """UpgradeResourceState of a version-0 JSON state answers msgpack holding every attribute."""
    client = ProviderClient(provider, cache_dir=tmp_path / "cache")
    state = json.dumps({"id": "https://x/123/q", "name": "q"}).encode()
    upgraded = client.upgrade_state("aws_sqs_queue", 0, state)
    ty = client.schema.type_of("aws_sqs_queue")
    value = cty.decode(upgraded, ty)
    assert isinstance(value, dict)
    block = client.schema.resource("aws_sqs_queue").block
    assert set(value) == set(ty.attribute_types()) == set(block.attributes) | set(block.blocks)
    assert value["id"] == "https://x/123/q"
    assert value["name"] == "q"
    assert value["visibility_timeout_seconds"] is None
    # What came back is a value of the type: it encodes again, to the same document.
    assert cty.values_equal(cty.decode(cty.encode(value, ty), ty), value, ty)



@pytest.mark.parametrize("name", ["schema-" + "0" * 64 + ".pb", "digests.json"])
def test_planted_fifo_does_not_hang_the_cache(tmp_path: Path, name: str) -> None:
    """A FIFO at a cache file's path is not a cache: opening it for reading must not wait for a
    writer that never comes (the scan would hang before its first provider call)."""
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    fifo = cache / name
    os.mkfifo(fifo)
    binary = tmp_path / "terraform-provider-fake"
    binary.write_bytes(b"not really a provider")
    results: list[object] = []

    def load() -> None:
        results.append(load_cached_schema(cache, "0" * 64))
        results.append(binary_digest(binary, cache))

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(timeout=30)
    if worker.is_alive():  # release the blocked open() so the thread can end
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(timeout=30)
        pytest.fail(f"reading the cache blocked on a FIFO at {name}")
    assert results[0] is None
    assert isinstance(results[1], str) and len(results[1]) == 64
