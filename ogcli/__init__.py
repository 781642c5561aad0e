"""ogcli: the terminal home of a verifiable-AI network."""

__version__ = "0.1.0"
