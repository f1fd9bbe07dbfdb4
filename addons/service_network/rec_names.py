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


def column_names(Model, records, columns, render):
    """Return {id: render(*values)} of records, the values of their columns
    (plain stored columns, not translated) in the order of columns"""
    result = {}
    table = Model.__table__()
    cursor = Transaction().connection.cursor()
    for sub_ids in grouped_slice(
            [r.id for r in records], backend.MAX_QUERY_PARAMS):
        cursor.execute(*table.select(
                table.id, *(Column(table, c) for c in columns),
                where=fields.SQL_OPERATORS['in'](table.id, list(sub_ids))))
        for record_id, *values in cursor:
            result[record_id] = render(*values)
    return result
