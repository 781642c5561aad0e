"""The one error hierarchy and exit-code enum; the root handler in main.py maps one to the other."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Process exit codes, documented in the README; scripts may rely on them.

    UNVERIFIED is `infer verify`'s answer when no check failed but one that applies could not be
    run (the attestation document out of reach, a proof this machine cannot check, history the
    chain no longer serves): neither a pass nor a failure, so neither 0 nor 1.
    """

    OK = 0
    ERROR = 1
    USAGE = 2
    NETWORK = 3
    REVERTED = 4
    NOT_CONFIRMED = 5
    UNVERIFIED = 6
    INTERRUPTED = 130


class OgcliError(Exception):
    """An error the user can act on: printed as one line, never as a traceback."""

    exit_code = ExitCode.ERROR
    code = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(OgcliError):
    """Bad input from the user: a value, a flag combination, a missing argument."""

    exit_code = ExitCode.USAGE
    code = "usage"


class ConfigError(OgcliError):
    """The config file or a data file cannot be read or is inconsistent."""

    code = "config"


class NetworkError(OgcliError):
    """The RPC endpoint or another service cannot be reached or answered wrongly."""

    exit_code = ExitCode.NETWORK
    code = "network"


class ChainMismatchError(NetworkError):
    """The endpoint serves another chain than the profile or deployment expects."""

    code = "chain_mismatch"


class RevertedError(OgcliError):
    """A contract refused the call (in simulation or on chain)."""

    exit_code = ExitCode.REVERTED
    code = "reverted"


class NotConfirmedError(OgcliError):
    """The user declined, or there was no TTY to ask and no --yes."""

    exit_code = ExitCode.NOT_CONFIRMED
    code = "not_confirmed"


class DevnetError(OgcliError):
    """The local devnet cannot be started, stopped or read."""

    code = "devnet"


class InsufficientFundsError(OgcliError):
    """The signer cannot pay for the transaction's gas (or value); nothing was sent."""

    code = "insufficient_funds"
