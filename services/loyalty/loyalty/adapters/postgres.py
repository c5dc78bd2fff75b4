"""The balances projection in PostgreSQL, and the unit of work that binds it."""

from __future__ import annotations

from rapport_events.directory import Directory, PostgresDirectory
from rapport_events.uow import Connection, UnitOfWork

from loyalty.application.ports import PointsBalance, PointsBalances


class PostgresPointsBalances:
    """Bound to the unit of work's connection, so it joins the transaction of the events."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def save(self, balance: PointsBalance) -> None:
        await self._connection.execute(
            """
            INSERT INTO points_balances (member_id, brand_id, balance, lifetime_earned,
                                         stream_version, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (member_id) DO UPDATE
               SET brand_id = EXCLUDED.brand_id,
                   balance = EXCLUDED.balance,
                   lifetime_earned = EXCLUDED.lifetime_earned,
                   stream_version = EXCLUDED.stream_version,
                   updated_at = EXCLUDED.updated_at
             WHERE points_balances.stream_version < EXCLUDED.stream_version
            """,
            balance.member_id,
            balance.brand_id,
            balance.balance,
            balance.lifetime_earned,
            balance.version,
            balance.updated_at,
        )

    async def get(self, member_id: str) -> PointsBalance | None:
        row = await self._connection.fetchrow(
            """
            SELECT member_id, brand_id, balance, lifetime_earned, stream_version, updated_at
              FROM points_balances
             WHERE member_id = $1
            """,
            member_id,
        )
        if row is None:
            return None
        return PointsBalance(
            member_id=row["member_id"],
            brand_id=row["brand_id"],
            balance=row["balance"],
            lifetime_earned=row["lifetime_earned"],
            version=row["stream_version"],
            updated_at=row["updated_at"],
        )


class PostgresLoyaltyUnitOfWork(UnitOfWork):
    """A transaction over the account streams, the balances projection, the directory replica
    and the outbox."""

    balances: PointsBalances
    directory: Directory

    def _bind(self, connection: Connection) -> None:
        self.balances = PostgresPointsBalances(connection)
        self.directory = PostgresDirectory(connection)
