"""The chain fixtures live in tests/chain/fixtures.py, registered for the whole suite by the root
conftest (so tests/adversarial shares the one session Anvil); the helpers stay importable here."""

from tests.chain.fixtures import Chain, revert_reason, send_as  # noqa: F401
