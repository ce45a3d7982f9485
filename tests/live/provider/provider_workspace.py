"""Small Terraform workspaces for provider-read tests, made without `terraform apply`.

Objects are created with boto3 against moto; their state is what `terraform import` would write:
the provider's own ImportResourceState + ReadResource, encoded as state v4 JSON. The provider
block points at the endpoint through `terraform.tfvars`, as a real workspace would, so the
provider configuration is evaluated from code.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from repo_paths import SHARED

from driftdeck.core.cty import decode
from driftdeck.core.live.provider.session import ProviderSession

SERVICES = ("sqs", "sts", "iam", "logs", "dynamodb", "ssm", "kms", "ecr", "sns", "s3", "ec2")


def provider_cli_config(folder: Path) -> Path | None:
    """A Terraform CLI config naming this machine's provider mirror (None: no mirror here)."""
    script = SHARED / "terraform" / "terraformrc.sh"
    if not script.exists():
        return None
    proc = subprocess.run(["sh", str(script)], capture_output=True, text=True)
    if proc.returncode != 0:
        return None
    path = folder / "terraformrc"
    path.write_text(proc.stdout)
    return path


def main_tf(extra_provider_lines: Sequence[str] = ()) -> str:
    endpoints = "\n".join(f"    {s} = var.endpoint" for s in SERVICES)
    extra = "\n".join(f"  {line}" for line in extra_provider_lines)
    return f'''terraform {{
  required_providers {{ aws = {{ source = "hashicorp/aws", version = "5.100.0" }} }}
}}
variable "endpoint" {{ type = string }}
provider "aws" {{
  region                      = "us-east-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = false
{extra}
  endpoints {{
{endpoints}
  }}
}}
'''


def write_workspace(folder: Path, endpoint: str, extra_provider_lines: Sequence[str] = ()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "main.tf").write_text(main_tf(extra_provider_lines))
    (folder / "terraform.tfvars").write_text(f'endpoint = "{endpoint}"\n')
    return folder


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def import_state(
    session: ProviderSession, endpoint: str, objects: Sequence[tuple[str, str, str]], state_path: Path,
    *, region: str = "us-east-1", alias: str | None = None,
) -> dict[str, Any]:
    """Write `state_path` with one resource per (type, name, import id), as `terraform import`
    plus a refresh would, managed by the default provider configuration or `alias`. Returns the
    document."""
    values = {
        "region": region, "access_key": "testing", "secret_key": "testing",
        "skip_credentials_validation": True, "skip_metadata_api_check": "true", "skip_requesting_account_id": False,
        "endpoints": [{s: endpoint for s in SERVICES}],
    }
    provider = session.configured("registry.terraform.io/hashicorp/aws", None, values)
    client = provider.client
    resources = []
    for rtype, name, import_id in objects:
        imported = client.import_resource(rtype, import_id)
        assert imported, f"nothing imported for {rtype} {import_id}"
        _, state, private = imported[0]
        answer = client.read_resource(rtype, state, private)
        assert answer.state is not None, f"{rtype} {import_id} not found after import"
        attrs = decode(answer.state, client.schema.type_of(rtype))
        resources.append({
            "mode": "managed", "type": rtype, "name": name,
            "provider": 'provider["registry.terraform.io/hashicorp/aws"]' + (f".{alias}" if alias else ""),
            "instances": [{
                "schema_version": client.schema.resource(rtype).version,
                "attributes": _jsonable(attrs),
                "sensitive_attributes": [],
                **({"private": base64.b64encode(answer.private).decode()} if answer.private else {}),
            }],
        })
    doc = {"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "driftdeck-provider-tests",
           "outputs": {}, "resources": resources}
    state_path.write_text(json.dumps(doc, indent=2))
    return doc
