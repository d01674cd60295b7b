"""Storage: SQLAlchemy tables, the engine factory, the repository and the migrations runner.

Typical use (see :mod:`bot.storage.repository`)::

    upgrade(url)
    store = SqlStore(make_engine(url))
"""

from bot.storage.access import DatabaseUnusable, explained, open_store_engine
from bot.storage.engine import make_engine, shown_url
from bot.storage.migrate import current, downgrade, head, upgrade
from bot.storage.repository import SqlStore, StoreBusyError

__all__ = [
    "DatabaseUnusable",
    "SqlStore",
    "StoreBusyError",
    "current",
    "downgrade",
    "explained",
    "head",
    "make_engine",
    "open_store_engine",
    "shown_url",
    "upgrade",
]
