"""Content addressing, the local blob store and the IPFS gateway client."""
