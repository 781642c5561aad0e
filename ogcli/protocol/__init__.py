"""The protocol's compiled artifacts, its deployment and per-network deployment files."""
