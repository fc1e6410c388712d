"""Alembic environment: runs migrations online against the URL set by `migrate.alembic_config`."""

from __future__ import annotations

from alembic import context

from bot.persistence.models import Base
from bot.persistence.store import create_db_engine

target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set by bot.persistence.migrate"
    engine = create_db_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
