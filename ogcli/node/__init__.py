"""The reference node: serves paid, signed inference over HTTP and settles every call on chain."""
