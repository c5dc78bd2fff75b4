"""In-memory twins of the PostgreSQL adapters, for tests and local experiments.

They keep the same contract (``tests/contract/loyalty`` runs one suite against both)::

    database = in_memory_database()
    async with InMemoryLoyaltyUnitOfWork(database, source=SOURCE, clock=clock) as uow:
        await uow.balances.save(balance)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rapport_events.directory import Directory, DirectoryTables, InMemoryDirectory
from rapport_events.uow import InMemoryDatabase, InMemoryUnitOfWork

from loyalty.application.ports import PointsBalance, PointsBalances


@dataclass
class LoyaltyTables:
    """The loyalty database's tables: the balances projection, by member id, and the replica of
    identity's directory."""

    balances: dict[str, PointsBalance] = field(default_factory=dict)
    directory: DirectoryTables = field(default_factory=DirectoryTables)


def in_memory_database() -> InMemoryDatabase:
    return InMemoryDatabase(LoyaltyTables())


class InMemoryPointsBalances:
    def __init__(self, rows: dict[str, PointsBalance]) -> None:
        self._rows = rows

    async def save(self, balance: PointsBalance) -> None:
        current = self._rows.get(balance.member_id)
        if current is None or current.version < balance.version:
            self._rows[balance.member_id] = balance

    async def get(self, member_id: str) -> PointsBalance | None:
        return self._rows.get(member_id)


class InMemoryLoyaltyUnitOfWork(InMemoryUnitOfWork):
    balances: PointsBalances
    directory: Directory

    def _bind(self, tables: LoyaltyTables) -> None:
        self.balances = InMemoryPointsBalances(tables.balances)
        self.directory = InMemoryDirectory(tables.directory)
