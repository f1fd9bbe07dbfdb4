"""Keep a request's SQLite transaction transactional.

trytond's SQLite backend hands the same connection to every caller of a
database: `get_connection(autocommit=True)` switches it to autocommit by
setting `isolation_level = None`, and nothing switches it back until the
next transaction starts. `Cache.sync`, run at the start of a transaction
once `[cache] clean_timeout` has passed (300 s by default, at every
transaction with 0), asks for such a connection: the request then ran in
autocommit and a refused request kept what it wrote before the error
(issue 13). `Cache.commit` and `ir.error.report` do the same.

Here each `put_connection` gives the connection back the isolation level
it had before the matching `get_connection`, so an autocommit use in the
middle of a transaction ends with it. PostgreSQL takes a connection of its
pool for each use and needs nothing.
"""
import threading

from trytond.backend.sqlite.database import Database

_levels = threading.local()


def _stack(database):
    stacks = getattr(_levels, 'stacks', None)
    if stacks is None:
        stacks = _levels.stacks = {}
    return stacks.setdefault(id(database), [])


def install():
    if getattr(Database, '_ess_isolation_kept', False):
        return
    get_connection = Database.get_connection
    put_connection = Database.put_connection

    def get_connection_keeping_level(
            self, autocommit=False, readonly=False, statement_timeout=None):
        previous = self._conn.isolation_level if self._conn else None
        connection = get_connection(
            self, autocommit=autocommit, readonly=readonly,
            statement_timeout=statement_timeout)
        _stack(self).append((connection, previous))
        return connection

    def put_connection_restoring_level(self, connection=None):
        stack = _stack(self)
        if stack:
            given, previous = stack.pop()
            if (given is self._conn and stack
                    and self._conn is not None
                    and self._conn.isolation_level != previous):
                # back to the transaction that holds the connection
                self._conn.isolation_level = previous
        return put_connection(self, connection)

    Database.get_connection = get_connection_keeping_level
    Database.put_connection = put_connection_restoring_level
    Database._ess_isolation_kept = True
