"""Restarting or resetting the devnet refreshes its profile's chain fields and keeps the user's."""

from ogcli import config
from ogcli.devnet import control


def test_the_devnet_profile_keeps_the_users_account_and_routing(tmp_path):
    config.put_profile(
        "devnet",
        config.Profile(rpc_url="http://127.0.0.1:1", chain_id=31337, account="me", routing="fastest"),
        activate=True,
    )
    info = control.ProcessInfo(pid=1, host="127.0.0.1", port=8545, started_at=0.0, block_time_s=1)
    control._activate_profile(info, control.Paths(tmp_path))
    profile = config.load().profiles["devnet"]
    assert (profile.account, profile.routing) == ("me", "fastest")
    assert profile.rpc_url == "http://127.0.0.1:8545"
    assert profile.storage == (tmp_path / "blobs").as_uri()


def test_the_devnet_profile_points_infer_at_the_reference_node_and_chat_model(tmp_path):
    info = control.ProcessInfo(pid=1, host="127.0.0.1", port=8545, started_at=0.0, block_time_s=1)
    control._activate_profile(info, control.Paths(tmp_path))
    fresh = config.load().profiles["devnet"]
    assert (fresh.node_url, fresh.default_model) == ("http://127.0.0.1:8700", "ogcli-tiny-chat")
    config.put_profile("devnet", config.Profile(rpc_url=fresh.rpc_url, chain_id=31337, node_url="http://10.0.0.2:9000",
                                                default_model="7"), activate=True)
    control._activate_profile(info, control.Paths(tmp_path))  # a restart keeps the user's choice
    kept = config.load().profiles["devnet"]
    assert (kept.node_url, kept.default_model) == ("http://10.0.0.2:9000", "7")
