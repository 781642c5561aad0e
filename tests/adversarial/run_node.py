"""`ogcli node run --dev-keys --port P` with the HTTP limits given as `--limit NAME=SECONDS_OR_COUNT`
passed to `ogcli.node.service.serve` (the CLI has no flags for them), so that a test can run the
real node with timeouts short enough to watch.

A node from before ogcli.node.http_guard existed has no limits to take: it is then served as
`ogcli node run` serves it, which is how the attacks were first shown to work."""

from __future__ import annotations

import argparse


def main() -> None:
    from ogcli import context, locations
    from ogcli.devnet import accounts
    from ogcli.node.service import NodeSettings, build, serve

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--limit", action="append", default=[])
    args = parser.parse_args()
    network = context.resolve_network()
    settings = NodeSettings(port=args.port)
    node = build(network, accounts.get("node-operator").local_account, accounts.get("enclave-signer").local_account,
                 locations.node_dir(network.profile), settings)
    limits = dict(item.split("=", 1) for item in args.limit)
    try:
        from ogcli.node.http_guard import HttpLimits
    except ImportError:
        serve(node, settings)
        return
    kinds = {name: field.type for name, field in HttpLimits.__dataclass_fields__.items()}
    serve(node, settings, limits=HttpLimits(**{name: int(value) if kinds[name] in (int, "int") else float(value)
                                              for name, value in limits.items()}))


if __name__ == "__main__":
    main()
