"""Pure domain logic: no I/O, no UI, no RPC."""
