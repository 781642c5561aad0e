"""One Typer sub-app per noun; each command parses, calls, renders."""
