"""Tables written by the hundred thousand rows in one statement.

PostgreSQL checks a foreign key row by row, with a trigger that looks up
and locks the referenced row: on the 200,000 links of a month's billing run
or the 100,000 lines of a partner statement, the checks cost more than the
insertion itself. Such tables declare the Many2One fields they hold without
a foreign key in the database. Tryton's delete still applies each field's
ondelete on every backend (it looks the references up itself, as it must on
SQLite, which has no foreign key at all): a RESTRICT reference still
forbids deleting what it references, a CASCADE one still deletes with it,
a SET NULL one is still emptied.
"""


class UncheckedReferencesMixin:
    """A ModelSQL whose Many2One fields named in _unchecked_references get
    no foreign key in the database (and lose those of earlier versions)"""
    __slots__ = ()
    _unchecked_references = frozenset()

    @classmethod
    def __table_handler__(cls, module_name=None, history=False):
        handler = super().__table_handler__(module_name, history=history)
        add_fk = handler.add_fk

        def add_checked_fk(columns, *args, **kwargs):
            if columns not in cls._unchecked_references:
                add_fk(columns, *args, **kwargs)
        handler.add_fk = add_checked_fk
        return handler

    @classmethod
    def __register__(cls, module_name):
        super().__register__(module_name)
        table_h = cls.__table_handler__(module_name)
        for column in sorted(cls._unchecked_references):
            table_h.drop_fk(column)
