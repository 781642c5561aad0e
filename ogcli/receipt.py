"""Prints the outcome of a write: the receipt for people, or the one JSON document."""

from ogcli import output


def report(outcome) -> None:
    """`outcome` is a `chain.tx.Outcome` (sent, or stopped by --dry-run)."""

    def human() -> None:
        if outcome.unsigned_file:
            print(f"unsigned transaction written to {outcome.unsigned_file}: sign it where the key is "
                  f"(`ogcli tx sign {outcome.unsigned_file}`), then `ogcli tx send` the signed file")
            return
        if not outcome.sent:
            print("dry run: nothing was sent")
            return
        print(f"sent {outcome.tx_hash}")
        print(f"mined in block {outcome.block_number}, gas used {outcome.gas_used:,}")
        if outcome.explorer_link:
            print(outcome.explorer_link)

    output.emit(outcome.to_json(), human)


def report_all(outcomes: list) -> None:
    """Several writes made by one command: one JSON document listing them, or each receipt."""
    if len(outcomes) == 1:
        report(outcomes[0])
        return

    def human() -> None:
        for outcome in outcomes:
            print(f"{outcome.preview.action}:")
            if not outcome.sent:
                print("  dry run: nothing was sent")
                continue
            print(f"  sent {outcome.tx_hash}, mined in block {outcome.block_number}, gas used {outcome.gas_used:,}")
            if outcome.explorer_link:
                print(f"  {outcome.explorer_link}")

    output.emit({"sent": all(o.sent for o in outcomes), "transactions": [o.to_json() for o in outcomes]}, human)
