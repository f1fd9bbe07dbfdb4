"""Names of records read from the few columns they are made of.

Tryton names a record through an instance method: `self.code` loads every
eager field of the record (a site's hours, phone, closures...) only to
print two of them, and the forms and lists of the counter name a site, a
procedure or a counter in nearly every read. `column_names` reads the
columns a name is made of, in one query per slice (Tryton names only
saved records: an unsaved one has no rec_name).
"""
from sql import Column

from trytond import backend
from trytond.model import fields
from trytond.tools import grouped_slice
from trytond.transaction import Transaction


def rows_by_ids(from_, id_column, columns, ids):
    """Yield the rows (id_column's value, then columns') of from_ (a table
    or a join) whose id_column is one of ids, one query per slice of
    backend.MAX_QUERY_PARAMS ids (trytond's grouped_slice without a size
    slices one by one)"""
    cursor = Transaction().connection.cursor()
    for sub_ids in grouped_slice(list(ids), backend.MAX_QUERY_PARAMS):
        cursor.execute(*from_.select(id_column, *columns,
                where=fields.SQL_OPERATORS['in'](id_column, list(sub_ids))))
        yield from cursor


def column_names(Model, records, columns, render):
    """Return {id: render(*values)} of records, the values of their columns
    (plain stored columns, not translated) in the order of columns"""
    table = Model.__table__()
    return {record_id: render(*values)
        for record_id, *values in rows_by_ids(table, table.id,
            [Column(table, c) for c in columns], [r.id for r in records])}
