"""`ogcli node run` refuses options that do not fit the role before it opens anything."""

from __future__ import annotations

from tests.cli_results import refused


def test_confirmations_are_for_the_verifier(cli):
    # No profile exists in the test home: the refusal comes before the network is resolved.
    refused(cli("node", "run", "--confirmations", "3"), "--confirmations is for the verifier", "--role all")


def test_a_bad_role_is_named(cli):
    refused(cli("node", "run", "--role", "validator"), "--role takes inference, verifier, all", "'validator'")


def test_a_channel_batch_beyond_what_one_commit_holds_is_refused(cli):
    # BatchRecords takes at most 256 records a batch: a larger setting could never be committed.
    result = cli("node", "run", "--channel-batch", "257")
    assert result.exit_code == 2 and "--channel-batch" in result.stderr and "256" in result.stderr, result.stderr
    result = cli("node", "run", "--channel-wait", "-1")
    assert result.exit_code == 2 and "--channel-wait" in result.stderr, result.stderr
