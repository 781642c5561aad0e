

def test_the_dashboard_writer_delegates_and_votes_through_the_cli_pipeline(carol, cli):
    """The real writer behind the dialogs: the CLI's plans, preview lines and sender, on chain."""
    from ogcli import context
    from ogcli.errors import UsageError
    from tui.writer import ChainWriter, DelegateRequest, VoteRequest

    validators = data(cli("--json", "stake", "validators", "--status", "active"))["validators"]
    target = validators[0]["address"]
    writer = ChainWriter(context.resolve_network())
    assert writer.needs_password is False  # OGCLI_PASSWORD is set, as on the CLI
    job = writer.begin(DelegateRequest(target, 10**18), "")
    steps = []
    for index in range(len(job.plans)):
        step = job.prepare(index)
        labels = [label for label, _ in step.lines]
        assert labels[:2] == ["network", "signer"] and "fee" in labels
        steps.append(step)
        job.send(step)
    assert steps[-1].action == "delegate 1 OPG" and ("validator", target) in steps[-1].lines
    positions = data(cli("--json", "stake", "positions"))
    assert any(d["validator"] == target for d in positions["delegations"])

    proposals = data(cli("--json", "gov", "proposals"))["proposals"]
    closed = next(p for p in proposals if p["state"] != "Active")
    with pytest.raises(UsageError, match="voting closed|voting opens"):
        writer.begin(VoteRequest(closed["id"], "for"), "")
