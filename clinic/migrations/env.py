import asyncio

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine

from clinic.tables import Base

target_metadata = Base.metadata


def run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Nodes starting together migrate one at a time: the others wait, then find
            # nothing left to do.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7355608)")
        context.run_migrations()


async def run_online() -> None:
    engine = create_async_engine(context.config.get_main_option("sqlalchemy.url") or "")
    async with engine.connect() as connection:
        await connection.run_sync(run)
        await connection.commit()
    await engine.dispose()


asyncio.run(run_online())
