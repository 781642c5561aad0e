"""Attacks on a real node: a node process on the seeded chain (the session Anvil of
tests/chain/fixtures.py, which the root conftest registers) shared by a module's tests, each of
which checks that the node survived its attack."""

from __future__ import annotations

import pytest

from tests.adversarial.node_process import NodeProcess, node_home


@pytest.fixture(scope="module")
def seeded_home(seeded, tmp_path_factory):
    """A function giving (environment, root) of a new home whose active profile is the seeded
    chain, models in a local store (one home per node process: each keeps its own outbox); the
    chain is reverted when the module is done."""

    def home(name: str = "home") -> tuple[dict, object]:
        root = tmp_path_factory.mktemp(name)
        return node_home(root, seeded.url, seeded.deployment), root

    with seeded.snapshot():
        yield home


class _Nodes:
    """One node process for a module's tests, started again if an attack killed it (so that each
    test's verdict is its own)."""

    def __init__(self, env: dict, root) -> None:
        self.env, self.root, self.node, self.starts = env, root, None, 0

    def alive(self) -> NodeProcess:
        if self.node is None or self.node.process.poll() is not None:
            self.starts += 1
            self.node = NodeProcess(self.env, log=self.root / f"node-{self.starts}.log").wait_ready()
        return self.node

    def stop(self) -> None:
        if self.node is not None:
            self.node.stop()


@pytest.fixture(scope="module")
def _node_processes(seeded_home):
    nodes = _Nodes(*seeded_home())
    try:
        yield nodes
    finally:
        nodes.stop()


@pytest.fixture
def hostile_node(_node_processes):
    """`ogcli node run --dev-keys` on the seeded chain, with its default limits; running."""
    return _node_processes.alive()
