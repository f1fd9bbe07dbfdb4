"""A One2Many read in one query.

Tryton reads the ids of a One2Many with a search of the targets (their
record rules and order applied), then reads the targets again for their
parent: two passes through the ORM per field and read. A case's form
shows five lists (documents, fees, refunds, history, notifications) and is
read three times per citizen served, so that second pass was a fifth of
the form's read. `One2Many` takes the parents from the search's own query
instead: the same domain, rules and order, one query.
"""
from sql import Column, Table

from trytond.model import ModelSQL, fields
from trytond.transaction import Transaction


class One2Many(fields.One2Many):
    "A One2Many whose targets and their parents come from one query"

    def _order(self, Target):
        "The order of the targets, as fields.One2Many.get sorts them"
        order = []
        if Target._fields[self.field].sortable(Target):
            order.append((self.field + '.id', None))
        if self.order:
            order += self.order
        elif Target._order:
            order += [(oexpr, otype) for oexpr, otype in Target._order
                if not oexpr.startswith(f'{self.field}.')]
        return order

    def get(self, ids, model, name, values=None):
        Target = self.get_target()
        field = Target._fields[self.field]
        if (not issubclass(Target, ModelSQL)
                or field._type != 'many2one'
                # no column of its own
                or isinstance(field, fields.Function)):
            return super().get(ids, model, name, values=values)
        clause = [(self.field, 'in', list(ids))]
        if self.filter:
            clause.append(self.filter)
        query = Target.search(clause, order=self._order(Target), query=True)
        # the plain query of one table: its id column is the targets'
        id_column, = query.columns
        table = getattr(getattr(id_column, 'expression', None), 'table',
            None)
        if not isinstance(table, Table) or table._name != Target._table:
            # an optimised search (unions of subqueries): Tryton's way
            return super().get(ids, model, name, values=values)
        query.columns = [id_column, Column(table, self.field)]
        result = {i: [] for i in ids}
        cursor = Transaction().connection.cursor()
        cursor.execute(*query)
        for target_id, parent in cursor:
            result[parent].append(target_id)
        return {key: tuple(value) for key, value in result.items()}
