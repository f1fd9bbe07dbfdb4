# The service network: sites, counters, partner administrations, the
# procedure catalogue, Senegal's working-day calendar and site-scoped access.
# Models are registered in tryton.cfg.
from . import (
    connection_check,
    json_answers,
    pyson_memo,
    row_dicts,
    session_reset,
    sqlite_connection,
    view_cache,
    wizard_names,
)

# A refused request on SQLite must leave nothing (see sqlite_connection)
sqlite_connection.install()

# Rows read as dictionaries without rebuilding psycopg's description
row_dicts.install()

# A batch's PYSON evaluated once per distinct input while it is validated
pyson_memo.install()

# JSON-RPC answers encoded at once by the C encoder
json_answers.install()

# One cached view for all the agents, whatever their employee
view_cache.install()

# A pooled PostgreSQL connection checked when it comes back from idling,
# not at each of the three checkouts of every call
connection_check.install()

# No transaction after a call to reset a session that needs no reset
session_reset.install()

# A wizard refused to a user named by its action, not its technical name
wizard_names.install()
