"""Reset a session's idle timer without a transaction of its own when
there is nothing to write.

After every JSON-RPC call, trytond's dispatcher calls `security.reset`,
which starts a transaction (a connection from the pool, autocommit) to run
`ir.session.reset`; that writes the session only when its last reset is
older than a tenth of `[session] timeout` (3 minutes by default), so for
almost every call the transaction writes nothing. The session check made
at the start of the same call (`ir.session._check_sessions`) has just
read the session's last change from the database: `checked` keeps it for
the thread serving the call, and `reset` returns at once when it is
recent, as `ir.session.reset` would have done after its transaction.
Otherwise, or for a session not checked that way, trytond's reset runs.
"""
import datetime as dt
import threading

import trytond.security
from trytond.config import config

_tryton_reset = trytond.security.reset
# (database name, session key, its last change) of the session the call
# served by this thread was checked with
_checked = threading.local()


def checked(database_name, key, last_change):
    "Remember the session key of database_name checked for this call"
    _checked.value = (database_name, key, last_change)


def reset(dbname, session, context):
    found, _checked.value = getattr(_checked, 'value', None), None
    if found is not None and found[:2] == (dbname, session):
        last_change = found[2]
        interval = dt.timedelta(
            seconds=config.getint('session', 'timeout')) // 10
        if (last_change is not None
                and dt.datetime.now() - interval <= last_change):
            return
    _tryton_reset(dbname, session, context)


def install():
    trytond.security.reset = reset
