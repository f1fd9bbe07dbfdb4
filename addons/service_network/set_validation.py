"""Check the plain constraints of new records with one query.

After a create, Tryton's `ModelStorage._validate` reads every constrained
field of every record one attribute at a time: the required fields, the
selections, the forbidden characters of each Char, the static domain of a
Many2One, the format of each time. For a batch of 500 cases that is some
15,000 attribute reads, most of the time of opening a case.
`SetValidationMixin` checks those fields over the whole batch instead: one
query for the required values, the selection keys, the sizes, the
forbidden characters, the targets of the Many2One with a static domain
(then searched with that domain, as Tryton does) and which times are
filled (an empty one has nothing to check). When nothing is wrong, Tryton
validates the other fields only (PYSON states or domains, digits, filled
times, functions...); when something is, Tryton validates every field as
before, so the user reads Tryton's own message naming the record and the
field.

Only the create's validation (`field_names` None) of `_set_validation_size`
records or more (two by default, one for a case) takes this way; a write
validates its written fields as before. The targets of a Many2One are
checked by `_set_targets_valid`, which a model may answer without a search
(a case's site open and citizen not a partner, one count each).
`validate_fields` still receives every field name, in two calls whose
names add up to all of them.
"""
from sql import Column, Flavor, Literal, Null
from sql.conditionals import Case as SQLCase
from sql.functions import CharLength
from sql.operators import Like, Or

from trytond import backend
from trytond.model import fields
from trytond.model.fields.field import get_eval_fields
from trytond.pool import Pool
from trytond.pyson import PYSON, PYSONDecoder, PYSONEncoder
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, inactive_records

_PLAIN_TYPES = {'char', 'text', 'selection', 'many2one', 'integer',
    'biginteger', 'date', 'boolean'}
# the columns a required state may read, as the client gives them
_PYSON_INPUT_TYPES = {'char', 'selection', 'many2one', 'integer',
    'biginteger', 'boolean'}


def _has_pyson(value):
    if isinstance(value, PYSON):
        return True
    if isinstance(value, (list, tuple)):
        return any(_has_pyson(v) for v in value)
    if isinstance(value, dict):
        return any(_has_pyson(v) for v in value.values())
    return False


def _empty(column, field):
    "The condition of Tryton's required test failing"
    if field._type in {'char', 'text', 'selection'}:
        return (column == Null) | (column == '')
    elif field._type == 'boolean':
        return (column == Null) | (column == Literal(False))
    return column == Null


def _like_escaped(char):
    return '%' + char.replace('\\', '\\\\').replace('%', '\\%').replace(
        '_', '\\_') + '%'


class SetValidationMixin:
    "Validate the plain constraints of created records in SQL"
    __slots__ = ()
    # a record alone is cheaper to check attribute by attribute: its
    # values are read for the other fields anyway
    _set_validation_size = 2

    @classmethod
    def __post_setup__(cls):
        super().__post_setup__()
        cls._set_checked = cls._set_checked_fields()
        cls._set_required_if = cls._set_required_if_fields()
        cls._set_checked.update(
            {n: cls._fields[n] for n in cls._set_required_if})
        cls._set_checked_if_empty = cls._set_checked_if_empty_fields()

    @classmethod
    def _set_checked_fields(cls):
        """Return {name: field} of the stored fields whose every check of
        Tryton's `_validate` this mixin does"""
        return {name: field for name, field in cls._fields.items()
            if cls._set_plain(name, field)
            and 'required' not in (field.states or {})}

    @classmethod
    def _set_plain(cls, name, field, inputs=frozenset()):
        """Tell whether the checks of field but its PYSON required state
        (reading inputs) are all done in SQL"""
        if (field._type not in _PLAIN_TYPES
                or isinstance(field, fields.Function)
                or not getattr(field, 'sql_type', None)
                or name in {'id', 'create_uid', 'write_uid'}
                or field.validation_depends - set(inputs)
                or getattr(field, 'digits', None)
                or _has_pyson(getattr(field, 'size', None))):
            return False
        if field._type == 'selection' and not (
                isinstance(field.selection, (list, tuple))
                and all(isinstance(k, (str, type(None)))
                    for k, _ in field.selection)):
            return False
        if field.domain and not (field._type == 'many2one'
                and not _has_pyson(field.domain)
                and not _has_pyson(field.context)):
            return False
        return True

    @classmethod
    def _set_required_if_fields(cls):
        """Return {name: (encoded PYSON, input names)} of the fields
        required by a PYSON state that reads only plain columns of the
        record (and the context): it is evaluated once per distinct
        inputs of the empty ones"""
        result = {}
        for name, field in cls._fields.items():
            required = (field.states or {}).get('required')
            if not isinstance(required, PYSON) or field.required:
                continue
            inputs = sorted(get_eval_fields(required))
            if cls._set_plain(name, field, inputs) and all(i in cls._fields
                    and cls._fields[i]._type in _PYSON_INPUT_TYPES
                    and not isinstance(cls._fields[i], fields.Function)
                    and getattr(cls._fields[i], 'sql_type', None)
                    for i in inputs):
                result[name] = (PYSONEncoder().encode(required), inputs)
        return result

    @classmethod
    def _set_checked_if_empty_fields(cls):
        """Return the names of the stored times and datetimes whose only
        check is their format: Tryton does nothing for an empty one"""
        return [name for name, field in cls._fields.items()
            if field._type in {'datetime', 'timestamp', 'time'}
            and not isinstance(field, fields.Function)
            and getattr(field, 'sql_type', None)
            and name not in {'create_date', 'write_date'}
            and not field.required
            and not field.domain
            and not field.validation_depends
            and 'required' not in (field.states or {})
            and not _has_pyson(getattr(field, 'format', None))]

    @classmethod
    def _set_conditions(cls, table, checked):
        "Return the SQL conditions a wrong value of checked fields meets"
        conditions = []
        for name, field in checked.items():
            column = Column(table, name)
            if field.required:
                conditions.append(_empty(column, field))
            if field._type == 'selection':
                keys = {k for k, _ in field.selection}
                if keys & {None, ''}:
                    keys = sorted(keys - {None, ''})
                    wrong = (column != '') & ~column.in_(keys)
                    conditions.append(wrong if keys else column != '')
                else:
                    conditions.append(column == Null)
                    conditions.append(~column.in_(sorted(keys)))
            size = getattr(field, 'size', None)
            if size is not None and size >= 0:
                conditions.append(CharLength(column) > size)
            for char in getattr(field, 'forbidden_chars', ''):
                conditions.append(
                    Like(column, _like_escaped(char), escape='\\'))
        return conditions

    @classmethod
    def _set_select(cls):
        """Return the SQL and parameters of the select of _set_read without
        its WHERE, and the names of its relational columns: built once, its
        rendering cost more than the query when a case is opened alone"""
        cached = cls.__dict__.get('_set_select_cache')
        if cached is not None and cached[0] == Flavor.get().param:
            return cached[1:]
        table = cls.__table__()
        conditions = cls._set_conditions(table, cls._set_checked)
        wrong = (SQLCase((Or(conditions), Literal(1)), else_=Literal(0))
            if conditions else Literal(0))
        relational = [name for name, field in cls._set_checked.items()
            if field.domain]
        columns = [Column(table, n)
            for n in relational + cls._set_checked_if_empty]
        for name, (_, inputs) in cls._set_required_if.items():
            columns.append(SQLCase(
                    (_empty(Column(table, name), cls._fields[name]),
                        Literal(1)), else_=Literal(0)))
            columns.extend(Column(table, i) for i in inputs)
        query, params = tuple(table.select(wrong, *columns))
        # python-sql names the only table of a select "a"
        assert query.endswith(f' FROM "{cls._table}" AS "a"'), query
        cls._set_select_cache = (
            Flavor.get().param, query, tuple(params), relational)
        return query, tuple(params), relational

    @classmethod
    def _set_read(cls, records):
        """Return, in one query per slice, whether a checked field of
        records breaks its constraints (then None), else the targets of
        the Many2One with a domain, the filled times and the distinct
        inputs of the required states of the empty fields"""
        cursor = Transaction().connection.cursor()
        query, params, relational = cls._set_select()
        param = Flavor.get().param
        times = cls._set_checked_if_empty
        required_if = cls._set_required_if
        targets = {name: set() for name in relational}
        filled = set()
        empty_inputs = {name: set() for name in required_if}
        for sub_ids in grouped_slice(
                [r.id for r in records], backend.MAX_QUERY_PARAMS):
            sub_ids = tuple(sub_ids)
            cursor.execute(
                query + ' WHERE "a"."id" IN (%s)' % ', '.join(
                    [param] * len(sub_ids)),
                params + sub_ids)
            for wrong_row, *row in cursor:
                if wrong_row:
                    return None
                values = iter(row)
                for name in relational:
                    targets[name].add(next(values))
                for name in times:
                    if next(values) is not None:
                        filled.add(name)
                for name, (_, inputs) in required_if.items():
                    empty = next(values)
                    read = tuple(next(values) for _ in inputs)
                    if empty:
                        empty_inputs[name].add(read)
        for values in targets.values():
            values.discard(None)
        return targets, filled, empty_inputs

    @classmethod
    def _set_check(cls, records):
        """Return the names of the fields validated for records: the checked
        fields and the times empty in all of them; None if a checked field
        breaks its constraints"""
        read = cls._set_read(records)
        if read is None:
            return None
        targets, filled, empty_inputs = read
        context = Transaction().context
        for name, (encoded, inputs) in cls._set_required_if.items():
            for values in empty_inputs[name]:
                env = dict(zip(inputs, values, strict=True))
                env['context'] = context
                env['active_model'] = cls.__name__
                if PYSONDecoder(env).decode(encoded):
                    return None
        for name, ids in targets.items():
            if ids and not cls._set_targets_valid(name, ids):
                return None
        return set(cls._set_checked) | (
            set(cls._set_checked_if_empty) - filled)

    @classmethod
    def _set_targets_valid(cls, name, ids):
        """Tell whether the set of ids meets the domain of the Many2One
        name: searched as Tryton does; a model may answer from a cache"""
        pool = Pool()
        field = cls._fields[name]
        Target = pool.get(field.model_name)
        with inactive_records(), \
                Transaction().set_context(field.context or {}):
            found = Target.search(['AND',
                    [('id', 'in', list(ids))],
                    field.domain,
                    ])
        return {t.id for t in found} == ids

    @classmethod
    def _validate(cls, records, field_names=None):
        if (field_names is not None
                or len(records) < cls._set_validation_size
                or not cls._set_checked):
            return super()._validate(records, field_names=field_names)
        validated = cls._set_check(records)
        if validated is None:
            # Tryton's own validation finds it and names it
            return super()._validate(records)
        super()._validate(records, field_names=set(cls._fields) - validated)
        cls.validate_fields(records, validated)
