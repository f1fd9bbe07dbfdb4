"""Business numbers per site and scope (a year, a day and sector).

On PostgreSQL the counter row lives in its own short transaction at READ
COMMITTED: trytond runs requests at REPEATABLE READ, where two clerks
incrementing the same row (or inserting the first one) make the second fail
with a serialisation error. The short transaction takes the row lock, waits
for the other clerk's increment and commits at once, so 20 clerks opening
cases at the same time get 20 distinct consecutive numbers. A number is
never reused: if the case is rolled back, its number is simply skipped.

On SQLite (demo and quick tests) the counter is updated in the request's
own transaction; SQLite serialises writers, and the SQL Unique constraints
on the numbers make any collision fail loudly instead of storing a
duplicate.
"""
import datetime as dt

from sql import Conflict

from trytond import backend
from trytond.cache import Cache
from trytond.model import ModelSQL, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

# {site id: code}, emptied when a site changes (Site): the code starts the
# number of each case
_site_codes = Cache('case.numbering.site_codes', context=False)


def site_code(site_id):
    "Return the code of the site"
    code = _site_codes.get(site_id)
    if code is None:
        code = Pool().get('network.site')(site_id).code
        _site_codes.set(site_id, code)
    return code


class Site(metaclass=PoolMeta):
    __name__ = 'network.site'

    @classmethod
    def on_modification(cls, mode, sites, field_names=None):
        super().on_modification(mode, sites, field_names=field_names)
        _site_codes.clear()


class Numbering(ModelSQL):
    __name__ = 'case.numbering'
    site = fields.Many2One(
        'network.site', "Site", required=True, ondelete='CASCADE')
    scope = fields.Char("Scope", required=True)
    last_number = fields.Integer("Last Number", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('site_scope_unique', Unique(t, t.site, t.scope),
                'service_case.msg_numbering_unique'),
            ]

    @classmethod
    def next_number(cls, site, scope):
        "Return the next number of scope at site, starting at 1"
        return cls.next_numbers(site, scope, 1)[0]

    @classmethod
    def next_numbers(cls, site, scope, count):
        "Reserve count consecutive numbers of scope at site and return them"
        if backend.name == 'postgresql':
            last = cls._increment_apart(site, scope, count)
        else:
            last = cls._increment(site, scope, count)
        return list(range(last - count + 1, last + 1))

    @classmethod
    def _increment_apart(cls, site, scope, count):
        transaction = Transaction()
        with transaction.new_transaction() as counter_transaction:
            cursor = counter_transaction.connection.cursor()
            # The request's commit flushes the WAL past this commit record:
            # the counter is durable whenever a case using it is.
            cursor.execute('SET TRANSACTION ISOLATION LEVEL READ COMMITTED; '
                'SET LOCAL synchronous_commit TO OFF')
            table = cls.__table__()
            # one statement: the counter made at its first use, or moved on
            cursor.execute(*table.insert(
                    [table.site, table.scope, table.last_number,
                        table.create_uid, table.create_date],
                    [[site.id, scope, count, transaction.user,
                            dt.datetime.now()]],
                    on_conflict=Conflict(
                        table, indexed_columns=[table.site, table.scope],
                        columns=[table.last_number],
                        values=[table.last_number + count]),
                    returning=[table.last_number]))
            last, = cursor.fetchone()
        return last

    @classmethod
    def _increment(cls, site, scope, count):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        where = (table.site == site.id) & (table.scope == scope)
        cursor.execute(*table.update(
                [table.last_number], [table.last_number + count],
                where=where))
        cursor.execute(*table.select(table.last_number, where=where))
        row = cursor.fetchone()
        if row:
            return row[0]
        with without_check_access():
            cls.create([{
                        'site': site.id, 'scope': scope,
                        'last_number': count,
                        }])
        return count
