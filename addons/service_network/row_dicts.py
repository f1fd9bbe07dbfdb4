"""Read a query's column names once per result, not once per row.

trytond's `cursor_dict` (`trytond.tools`), behind every `ModelSQL.read`
and `search`, zips each row with `cursor.description`. psycopg 3 builds
that description anew at each access, a `Column` object per column
(psycopg issues #457 and #1240): reading the 500 cases of a batch, with
their 30-odd columns, built 16,000 such objects and cost more than the
query. The rows are the same dictionaries; SQLite's description was
already cheap and is read once as well.
"""
import trytond.ir.model
import trytond.ir.translation
import trytond.model.modelsql
import trytond.tools

MODULES = [trytond.tools, trytond.model.modelsql, trytond.ir.model,
    trytond.ir.translation]


def cursor_dict(cursor, size=None):
    size = cursor.arraysize if size is None else size
    names = None
    while True:
        rows = cursor.fetchmany(size)
        if not rows:
            break
        if names is None:
            names = [column[0] for column in cursor.description]
        for row in rows:
            yield dict(zip(names, row, strict=True))


def install():
    for module in MODULES:
        module.cursor_dict = cursor_dict
