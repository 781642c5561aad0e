"""Which validator a person means: the tables shorten addresses (`Gale 0x57FB313C…`), so a
validator is named by its full address, by the start of it as shown (at least 8 hex digits, with
or without 0x and the ellipsis), or by its name or the start of its name (`Aurora` for "Aurora
Labs", like git's short names); an ambiguous or unknown reference is refused, never guessed."""

from __future__ import annotations

MIN_PREFIX_HEX = 8


class ValidatorRefError(ValueError):
    pass


def match_validator(text: str, validators: list[tuple[str, str]]) -> str:
    """The address `text` names among `validators`, given as (address, name) pairs."""
    name_ref = text.strip()
    ref = name_ref.rstrip("…").rstrip(".")  # a shortened address as the tables print it
    if not ref:
        raise ValidatorRefError("name a validator: its address, the start of it, or its name")
    hex_part = ref[2:] if ref.lower().startswith("0x") else ref
    wanted = name_ref.lower()
    by_name = [a for a, name in validators if name and name.strip().lower() == wanted]
    if not by_name:  # no exact name: the names it starts (a whole name is never shadowed by a longer one)
        by_name = [a for a, name in validators if name and name.strip().lower().startswith(wanted)]
    by_prefix = []
    if len(hex_part) >= MIN_PREFIX_HEX and all(c in "0123456789abcdefABCDEF" for c in hex_part):
        by_prefix = [a for a, _name in validators if a[2:].lower().startswith(hex_part.lower())]
    found = list(dict.fromkeys(by_name + by_prefix))
    if len(found) == 1:
        return found[0]
    if found:
        raise ValidatorRefError(f"{text!r} names {len(found)} validators: {', '.join(found)}; give more of its name or address")
    if 0 < len(hex_part) < MIN_PREFIX_HEX and all(c in "0123456789abcdefABCDEF" for c in hex_part):
        raise ValidatorRefError(f"{text!r} is too short: give at least {MIN_PREFIX_HEX} hex digits of the address, or its name")
    raise ValidatorRefError(f"no validator is named or starts with {text!r} (see `ogcli stake validators`)")
