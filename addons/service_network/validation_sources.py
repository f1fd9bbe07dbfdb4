"""Validate on write what the written fields can change, through the
function fields a model declares the sources of.

After a write, Tryton's `ModelStorage._validate` checks the fields written
and those whose domain or required state reads one of them, and also, on
every write whatever it wrote, each field whose domain or required state
reads a function field: a function field may change with anything. On the
counter desk that is four checks at every click (the counter among the
user's sites, the procedure of the ticket's sector, the sector a ticket is
transferred to, the payment reference the fee requires), each computing its
function field and searching its target, while the agent only picked a
citizen or ticked a document.

`ValidationSourcesMixin` reads `_validation_sources`, {function field: the
stored fields of the record it is computed from}: in the validation
dependencies of every field, such a function field is replaced by its
sources, so that the field is checked when one of them (or itself) is
written, as for any stored field. A function field computed from nothing
of the record (the user's sites) has no source: a field reading it is
checked when written. Function fields left out keep Tryton's rule.
"""


class ValidationSourcesMixin:
    "Validate a field reading a function field when its sources change"
    __slots__ = ()
    # {function field name: set of stored field names it is computed from}
    _validation_sources = {}

    @classmethod
    def __post_setup__(cls):
        super().__post_setup__()
        sources = cls._validation_sources
        for field in cls._fields.values():
            depends = field.validation_depends
            derived = depends & sources.keys()
            if derived:
                # Field.validation_depends is a cached property kept in the
                # field's __dict__ (it cannot be assigned); fields are
                # copied per class by Model.__setup__: this changes this
                # model's field only
                vars(field)['validation_depends'] = (
                    depends - derived).union(*(sources[d] for d in derived))
