"""Schema migrations with Alembic, driven from the app's CLI (``flask --app app db ...``)."""
from __future__ import annotations

from alembic import command
from alembic.config import Config

from .paths import PROJECT_DIR

MIGRATIONS_DIR = PROJECT_DIR / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def new_revision(database_url: str, message: str) -> None:
    """Autogenerate a migration from the models (for developers; review it like code)."""
    command.revision(alembic_config(database_url), message=message, autogenerate=True)
