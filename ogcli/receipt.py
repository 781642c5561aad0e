"""Prints the outcome of a write: the receipt for people, or the one JSON document."""

from ogcli import output


def report(outcome) -> None:
    """`outcome` is a `chain.tx.Outcome` (sent, or stopped by --dry-run)."""

    def human() -> None:
        if not outcome.sent:
            print("dry run: nothing was sent")
            return
        print(f"sent {outcome.tx_hash}")
        print(f"mined in block {outcome.block_number}, gas used {outcome.gas_used:,}")
        if outcome.explorer_link:
            print(outcome.explorer_link)

    output.emit(outcome.to_json(), human)
