"""The only code that talks JSON-RPC: sessions, transactions, bindings, reads."""
