"Helpers for the tests of the network's modules"
from unittest.mock import patch

from trytond.pool import Pool

__all__ = ['on_day']


def on_day(date, database_name=None):
    """Return a patcher making the network's clock, `ir.date.today()`,
    answer date: use it as a context manager (`with on_day(date):`) or
    start() and stop() it (scenarios). database_name is needed outside of a
    transaction, e.g. config.database_name in a scenario."""
    Date = Pool(database_name).get('ir.date')
    return patch.object(Date, 'today', return_value=date)
