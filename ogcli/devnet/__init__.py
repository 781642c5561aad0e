"""The local devnet: Anvil process control, genesis seeding, traffic."""
