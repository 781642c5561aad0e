"""A deployment file: where the protocol lives on one chain, and which build it runs."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ogcli.errors import ConfigError
from ogcli.fsutil import write_atomic

PACKAGED_DIR = Path(__file__).parent / "deployments"


@dataclass(frozen=True)
class Deployment:
    network: str
    chain_id: int
    block: int
    deployed_at: int
    deployer: str
    contracts: dict[str, str]
    vesting_wallets: list[dict] = field(default_factory=list)
    artifacts: dict[str, str] = field(default_factory=dict)
    params: dict = field(default_factory=dict)

    def address(self, contract: str) -> str:
        try:
            return self.contracts[contract]
        except KeyError:
            raise ConfigError(f"deployment on {self.network} has no {contract}") from None

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"


def save(deployment: Deployment, path: Path) -> None:
    write_atomic(path, deployment.to_json())


def load(path: Path) -> Deployment:
    try:
        raw = json.loads(path.read_text())
        return Deployment(**raw)
    except FileNotFoundError:
        raise ConfigError(f"no deployment file at {path}") from None
    except (json.JSONDecodeError, TypeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"deployment file {path} is corrupted: {exc}") from None
