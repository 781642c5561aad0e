"""Node bonds read from chain (NodeBonds): what each operator has put up behind the TEE records it
settles, and the rules governance set for them. One Multicall3 batch for any number of operators."""

from __future__ import annotations

from dataclasses import dataclass

from ogcli.chain.contracts import Protocol


@dataclass(frozen=True)
class BondTerms:
    min_bond_wei: int  # active bond a node needs to settle TEE records
    unbonding_delay_s: int
    slash_fraction_bps: int  # of the whole bond per false record, on top of the fee


@dataclass(frozen=True)
class Bond:
    operator: str
    active_wei: int
    unbonding_wei: int
    release_at: int  # when the unbonding amount can be withdrawn (0: nothing unbonding)
    reserved_wei: int  # of the active bond, held for the fees of records still open to dispute

    @property
    def total_wei(self) -> int:
        """What a dispute can slash: the active bond, then what is unbonding."""
        return self.active_wei + self.unbonding_wei

    @property
    def free_wei(self) -> int:
        """What can back new records' fees, or be unbonded: the active bond not reserved."""
        return self.active_wei - self.reserved_wei

    def covers_settlement(self, terms: BondTerms) -> bool:
        """Whether the node may settle TEE records now (the contract's `isBonded`)."""
        return self.active_wei >= terms.min_bond_wei

    def to_json(self, terms: BondTerms) -> dict:
        return {"operator": self.operator, "active_wei": str(self.active_wei), "reserved_wei": str(self.reserved_wei),
                "free_wei": str(self.free_wei), "unbonding_wei": str(self.unbonding_wei), "release_at": self.release_at,
                "bonded": self.covers_settlement(terms)}


@dataclass(frozen=True)
class EnclaveBond:
    """A registered enclave and the bond of the operator that stands behind its records."""

    signer: str
    operator: str
    endpoint: str
    active: bool
    bond: Bond


def read_terms(protocol: Protocol) -> BondTerms:
    from ogcli.chain.multicall import Read, read_one

    min_bond, delay, fraction = read_one(protocol.rpc, Read(protocol.bonds, "params"))
    return BondTerms(min_bond, delay, fraction)


def read_bonds(protocol: Protocol, operators: list[str]) -> dict[str, Bond]:
    """The bond of each operator (an operator that never bonded has a zero bond)."""
    from ogcli.chain.multicall import Read, read_many

    unique = sorted(set(operators))
    views = read_many(protocol.rpc, [Read(protocol.bonds, "bondOf", (operator,)) for operator in unique])
    return {operator: Bond(operator, *view) for operator, view in zip(unique, views)}


def enclave_operators(protocol: Protocol) -> dict[str, str]:
    """Every registered enclave signer and the operator whose bond stands behind its records."""
    from ogcli.chain.multicall import Read, read_one

    views = read_one(protocol.rpc, Read(protocol.registry, "listEnclaves", named=True))
    return {view["signer"]: view["operator"] for view in views}


def enclave_bonds(protocol: Protocol) -> tuple[BondTerms, list[EnclaveBond]]:
    """The bond rules and every registered enclave with its operator's bond, in registration order."""
    from ogcli.chain.multicall import Read, read_one

    views = read_one(protocol.rpc, Read(protocol.registry, "listEnclaves", named=True))
    bonds = read_bonds(protocol, [view["operator"] for view in views])
    enclaves = [EnclaveBond(view["signer"], view["operator"], view["endpoint"], bool(view["active"]), bonds[view["operator"]])
                for view in views]
    return read_terms(protocol), enclaves
