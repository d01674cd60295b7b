"""Storage: SQLAlchemy models, the engine factory, the repository and the migrations runner.

Typical use (see :mod:`bot.storage.repository`)::

    upgrade(url)
    store = SqlStore(make_engine(url))
"""

from bot.storage.engine import make_engine
from bot.storage.migrate import current, downgrade, upgrade
from bot.storage.repository import SqlStore, StoreBusyError

__all__ = ["SqlStore", "StoreBusyError", "current", "downgrade", "make_engine", "upgrade"]
