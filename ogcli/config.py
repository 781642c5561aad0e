"""The user's config file: typed profiles (which network, which account) stored as TOML.

The file is read with tomllib and rewritten whole with tomli-w, which cannot keep comments.
`save` therefore notices comments in the file it is about to replace, copies that file to
`config.toml.bak` first, and tells its caller, who tells the user. Keys this version does not
know (written by a newer ogcli, say) are kept through a rewrite. No secrets belong here: RPC
URLs with credentials or an API key in the query string are refused (use OGCLI_RPC_URL).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ogcli import locations
from ogcli.errors import ConfigError, UsageError

# tomllib, tomli_w, urllib.parse and ogcli.fsutil (tempfile) are imported where they are used,
# and patterns are compiled on first use (re caches them): `ogcli --help` loads this module
# through the config commands and must stay cheap.

FILE_MODE = 0o600
PROFILE_NAME = r"[a-z0-9][a-z0-9_-]{0,39}"
PROFILE_NAME_RULE = "1-40 characters: lowercase letters, digits, '-' and '_', starting with a letter or digit"
MAX_CHAIN_ID = 2**63 - 1  # the largest integer TOML can store
_WALLET_NAME = r"[a-z0-9][a-z0-9_-]{0,39}"
_ADDRESS = r"0x[0-9a-fA-F]{40}"
_SECRET_QUERY_NAMES = r"(?i)key|token|secret|pass|auth"


@dataclass(frozen=True)
class Profile:
    """One network the CLI can talk to."""

    rpc_url: str
    """JSON-RPC endpoint, e.g. http://127.0.0.1:8545."""
    chain_id: int
    """Chain id the endpoint must report before anything is signed."""
    deployment: str = ""
    """Path of the deployment file (contract addresses); empty uses the packaged one for the chain."""
    account: str = ""
    """Default wallet name for signing."""
    explorer_url: str = ""
    """Block explorer base URL for transaction links; empty for none."""
    storage: str = ""
    """Where model bytes live: a directory (file:///path) or an IPFS node (http://host:5001, its
    Kubo RPC API; downloads use its gateway). Empty: models can be read on chain, not pulled."""
    routing: str = ""
    """HACA routing policy for `--mode auto`: balanced (empty), strongest or fastest."""
    node_url: str = ""
    """The node `infer`, `pay channel` and the SDK call when none is named; empty picks the
    best-bonded active endpoint registered on chain."""
    default_model: str = ""
    """The chat model `infer chat` asks when none is named (id or name); empty uses the network's
    only chat model."""


@dataclass
class Config:
    """The whole config file."""

    active_profile: str = ""
    profiles: dict[str, Profile] = field(default_factory=dict)
    unknown: dict[str, Any] = field(default_factory=dict, repr=False)
    """Top-level keys this version does not know, kept so a rewrite does not lose them."""
    unknown_in_profiles: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    """The same for keys inside [profiles.NAME], by profile name."""


PROFILE_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Profile))
REQUIRED_FIELDS = frozenset(f.name for f in dataclasses.fields(Profile) if f.default is dataclasses.MISSING)
SETTABLE_KEYS: tuple[str, ...] = (*PROFILE_FIELDS, "active_profile")


@dataclass(frozen=True)
class SaveResult:
    """What a rewrite did beyond writing the new file."""

    path: Path
    comments_dropped: bool = False
    backup: Path | None = None


# -- reading -------------------------------------------------------------------------------------


def load(path: Path | None = None) -> Config:
    """Reads the config file; a missing file is an empty config."""
    path = path or locations.config_file()
    raw = _read_document(path)
    return _from_document(raw, path)


def _read_document(path: Path) -> dict[str, Any]:
    import tomllib

    text = read_text(path)
    if text is None:
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def read_text(path: Path) -> str | None:
    """The file's text, None when it does not exist; unreadable is a ConfigError."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: not UTF-8 ({exc.reason})") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None


def _from_document(raw: dict[str, Any], path: Path) -> Config:
    active = raw.get("active_profile", "")
    if not isinstance(active, str):
        raise ConfigError(f"active_profile in {path} must be a string")
    tables = raw.get("profiles", {})
    if not isinstance(tables, dict):
        raise ConfigError(f"profiles in {path} must be a table of [profiles.NAME] tables")
    unknown: dict[str, Any] = {k: v for k, v in raw.items() if k not in ("active_profile", "profiles")}
    profiles, unknown_in_profiles = {}, {}
    for name, values in tables.items():
        if not isinstance(values, dict):
            raise ConfigError(f"profile {name!r} in {path} must be a table")
        missing = sorted(REQUIRED_FIELDS - values.keys())
        if missing:
            raise ConfigError(f"profile {name!r} in {path} is incomplete: missing {', '.join(missing)}")
        for key in PROFILE_FIELDS:
            if key in values:
                expected = int if key == "chain_id" else str
                if type(values[key]) is not expected:
                    raise ConfigError(f"{key} of profile {name!r} in {path} must be a{'n integer' if expected is int else ' string'}")
        profiles[name] = Profile(**{k: v for k, v in values.items() if k in PROFILE_FIELDS})
        extra = {k: v for k, v in values.items() if k not in PROFILE_FIELDS}
        if extra:
            unknown_in_profiles[name] = extra
    return Config(active_profile=active, profiles=profiles, unknown=unknown, unknown_in_profiles=unknown_in_profiles)


# -- writing -------------------------------------------------------------------------------------


def save(config: Config, path: Path | None = None) -> SaveResult:
    """Writes the config atomically (mode 0600). If the file being replaced has comments, which
    tomli-w cannot keep, it is first copied to `<name>.bak`; the result says so. A failed write
    is a ConfigError and leaves both files as they were."""
    import tomli_w

    from ogcli.fsutil import write_atomic

    path = path or locations.config_file()
    text = tomli_w.dumps(_to_document(config))
    old_text = read_text(path)
    try:
        if old_text is None or not has_comments(old_text):
            write_atomic(path, text, mode=FILE_MODE)
            return SaveResult(path)
        backup = backup_path(path)
        previous_backup = read_text(backup)
        write_atomic(backup, old_text, mode=FILE_MODE)
        try:
            write_atomic(path, text, mode=FILE_MODE)
        except BaseException:
            # Nothing may change when the write fails, so the backup goes back to what it was.
            if previous_backup is None:
                backup.unlink(missing_ok=True)
            else:
                write_atomic(backup, previous_backup, mode=FILE_MODE)
            raise
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None
    return SaveResult(path, comments_dropped=True, backup=backup)


def _to_document(config: Config) -> dict[str, Any]:
    document: dict[str, Any] = {}
    if config.active_profile:
        document["active_profile"] = config.active_profile
    document.update(config.unknown)
    document["profiles"] = {
        name: {
            **{k: v for k, v in dataclasses.asdict(profile).items() if v != ""},
            **config.unknown_in_profiles.get(name, {}),
        }
        for name, profile in sorted(config.profiles.items())
    }
    return document


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def put_profile(name: str, profile: Profile, *, activate: bool, path: Path | None = None) -> SaveResult:
    """Adds or replaces one profile, optionally making it the active one."""
    config = load(path)
    config.profiles[name] = profile
    if activate:
        config.active_profile = name
    return save(config, path)


def remove_profile(config: Config, name: str) -> None:
    """Drops a profile (and its unknown keys); removing the active one leaves none active."""
    del config.profiles[name]
    config.unknown_in_profiles.pop(name, None)
    if config.active_profile == name:
        config.active_profile = ""


def has_comments(text: str) -> bool:
    """Whether a TOML text has a comment: a `#` outside every kind of string."""
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if char == "#":
            return True
        if char in "\"'":
            index = _skip_string(text, index)
            continue
        index += 1
    return False


def _skip_string(text: str, start: int) -> int:
    """The index just after the string that opens at `start` (or the end of an unclosed one)."""
    quote = text[start]
    delimiter = quote * 3 if text.startswith(quote * 3, start) else quote
    index = start + len(delimiter)
    while index < len(text):
        if quote == '"' and text[index] == "\\":
            index += 2
            continue
        if text.startswith(delimiter, index):
            end = index + len(delimiter)
            # A multi-line string may end with up to two extra quotes ("""a"""" is `a"`).
            while len(delimiter) == 3 and end < len(text) and text[end] == quote and end - index < 5:
                end += 1
            return end
        if len(delimiter) == 1 and text[index] == "\n":
            return index  # an unterminated one-line string; tomllib reports it anyway
        index += 1
    return index


# -- validating user input ------------------------------------------------------------------------


def check_profile_name(name: str) -> str:
    if not re.fullmatch(PROFILE_NAME, name):
        raise UsageError(f"invalid profile name {name!r}: {PROFILE_NAME_RULE}")
    return name


def parse_field(key: str, text: str) -> str | int:
    """Turns the text a user typed for a profile field into its stored value, or a UsageError."""
    if key == "rpc_url":
        return check_rpc_url(text)
    if key == "chain_id":
        return parse_chain_id(text)
    if key == "deployment":
        return check_deployment(text)
    if key == "account":
        return check_account(text)
    if key == "explorer_url":
        return check_explorer_url(text)
    if key == "storage":
        return check_storage(text)
    if key == "routing":
        return check_routing(text)
    if key == "node_url":
        return check_node_url(text)
    if key == "default_model":
        return check_model_ref(text)
    raise UsageError(f"unknown key {key!r} (keys: {', '.join(SETTABLE_KEYS)})")


def check_rpc_url(text: str) -> str:
    from urllib.parse import parse_qsl

    parts = _split_url(text, "rpc_url", ("http", "https"))
    credentials = parts.username is not None or parts.password is not None
    if credentials or any(re.search(_SECRET_QUERY_NAMES, name) for name, _ in parse_qsl(parts.query)):
        raise UsageError(
            "rpc_url holds a secret (a user name, password or API key parameter); config.toml keeps no secrets",
            hint="pass such an endpoint with OGCLI_RPC_URL or --rpc-url instead",
        )
    return text


def parse_chain_id(text: str | int) -> int:
    try:
        chain_id = text if isinstance(text, int) else int(str(text).strip(), 10)
    except ValueError:
        raise UsageError(f"chain_id must be a whole number, not {text!r}") from None
    if not 0 < chain_id <= MAX_CHAIN_ID:
        raise UsageError(f"chain_id must be between 1 and {MAX_CHAIN_ID}, not {chain_id}")
    return chain_id


def check_deployment(text: str) -> str:
    path = Path(text).expanduser()
    if not path.is_file():
        raise UsageError(f"deployment file {text!r} does not exist")
    return str(path.resolve())


def check_account(text: str) -> str:
    if not (re.fullmatch(_WALLET_NAME, text) or re.fullmatch(_ADDRESS, text)):
        raise UsageError(f"account must be a wallet name or a 0x address, not {text!r}")
    return text


def check_node_url(text: str) -> str:
    """A node's base URL, kept without a trailing slash (the way nodes register theirs)."""
    parts = _split_url(text, "node_url", ("http", "https"))
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        raise UsageError(f"node_url is a node's base URL (http://host:port), not {text!r}")
    return text.rstrip("/")


MAX_MODEL_REF = 64


def check_model_ref(text: str) -> str:
    """A model id (digits) or name as `--model` takes it."""
    ref = text.strip()
    if not ref or len(ref) > MAX_MODEL_REF or any(c.isspace() or not c.isprintable() for c in ref):
        raise UsageError(f"default_model is a model id or name (no spaces, at most {MAX_MODEL_REF} characters), not {text!r}")
    return ref


def check_explorer_url(text: str) -> str:
    _split_url(text, "explorer_url", ("http", "https"))
    return text


def check_routing(text: str) -> str:
    from ogcli.core.routing import POLICIES

    if text not in POLICIES:
        raise UsageError(f"routing must be one of {', '.join(POLICIES)}, not {text!r}")
    return text


def check_storage(text: str) -> str:
    if text.startswith("file://"):
        path = Path(text[len("file://") :])
        if not path.is_absolute():
            raise UsageError(f"storage file:// URLs need an absolute path, not {text!r}")
        return text
    _split_url(text, "storage", ("http", "https", "file"))
    return text


def _split_url(text: str, key: str, schemes: tuple[str, ...]):
    from urllib.parse import urlsplit

    parts = urlsplit(text)
    allowed = " or ".join(f"{scheme}://" for scheme in schemes)
    if parts.scheme not in schemes or not parts.hostname or any(c.isspace() for c in text):
        raise UsageError(f"{key} must start with {allowed} and name a host, not {text!r}")
    return parts
