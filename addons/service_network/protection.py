"""Fields the form shows read-only are read-only on the server too.

Tryton evaluates `readonly` and `states['readonly']` in the client only: a
user calling `write` over JSON-RPC can change a case's state, its number or
a payment date. Models of ours that inherit `ReadonlyGuardMixin` refuse,
for calls coming from a user (not from their own buttons and wizards, which
run without access checks):

- on create, a value for a read-only field other than its default;
- on write, a read-only field, or a field read-only in the record's
  current state, given a value that differs from the stored one.
"""
from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.exceptions import AccessError
from trytond.model.modelstorage import _record_eval_pyson
from trytond.pool import Pool
from trytond.transaction import Transaction, check_access, without_check_access

_EMPTY = (None, False, '', (), [])


def from_user():
    "Whether the running call comes from a user, with access checks"
    transaction = Transaction()
    return bool(transaction.user and transaction.check_access)


class ReadonlyGuardMixin:
    __slots__ = ()

    @classmethod
    def _before_create(cls, vlist):
        # before super, whose preprocess_values fills read-only fields
        if from_user():
            for values in vlist:
                cls._check_readonly_create(values)
        return super()._before_create(vlist)

    @classmethod
    def export_data(cls, records, fields_names, header=False):
        # Tryton evaluates the read rules of each exported row in Python,
        # which does not follow a rule on a related record's field
        # ('case.site'): check them in SQL as a read does
        if from_user():
            Rule = Pool().get('ir.rule')
            with check_access():
                Rule.check(cls.__name__, [r.id for r in records], 'read')
        return super().export_data(records, fields_names, header=header)

    @classmethod
    def _check_readonly_create(cls, values):
        for name, value in values.items():
            field = cls._fields.get(name)
            if field is None or not field.readonly:
                continue
            default = (cls._defaults[name]()
                if name in cls._defaults else None)
            if value == default or (value in _EMPTY and default in _EMPTY):
                continue
            cls._raise_readonly(name)

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        if external and mode in {'write', 'delete'}:
            # The record rules first: the checks below name the records in
            # their messages, which must not tell a user about records of
            # other sites
            Rule = Pool().get('ir.rule')
            with check_access():
                Rule.check(cls.__name__, [r.id for r in records], mode)
        super().check_modification(
            mode, records, values=values, external=external)
        if mode == 'write' and external:
            cls._check_readonly_write(records, values)

    @classmethod
    def _check_readonly_write(cls, records, values):
        pool = Pool()
        User = pool.get('res.user')
        for name, value in values.items():
            field = cls._fields.get(name)
            if field is None:
                continue
            if isinstance(field, fields.Function) and not field.setter:
                continue
            if field.readonly:
                if not cls._same_value(field, records, name, value):
                    cls._raise_readonly(name, records)
                continue
            readonly = field.states.get('readonly')
            if readonly is None:
                continue
            with Transaction().set_context(groups=User.get_groups()):
                for record in records:
                    if (_record_eval_pyson(record, readonly)
                            and not cls._same_value(
                                field, [record], name, value)):
                        cls._raise_readonly(name, [record])

    @staticmethod
    def _same_value(field, records, name, value):
        "Whether writing value changes nothing on records"
        if field._type in {'one2many', 'many2many'}:
            return not value
        for record in records:
            current = getattr(record, name)
            if field._type in {'many2one', 'one2one', 'reference'}:
                current = current.id if hasattr(current, 'id') else current
            if current != value and not (
                    current in _EMPTY and value in _EMPTY):
                return False
        return True

    @classmethod
    def _raise_readonly(cls, name, records=None):
        names = cls.__names__(name, record=records[0] if records else None)
        raise AccessError(gettext(
                'service_network.msg_field_readonly', **names))


def user_sites():
    """The ids of the sites the user works at, or None when the user is not
    bound to sites (root, network administrators)"""
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    if Transaction().user == 0:
        return None
    groups = set(User.get_groups())
    if ModelData.get_id('service_network', 'group_network_admin') in groups:
        return None
    return set(User.get_sites())


def check_user_sites(sites, what):
    """Refuse if the user is site staff and one of sites is not theirs:
    wizards and buttons run without record rules, so they check it here.
    what names the records in the message, or is a function returning
    their name (named only when refused: the counter's buttons check on
    every click)."""
    mine = user_sites()
    if mine is None:
        return
    for site in sites:
        if site is not None and int(site) not in mine:
            raise AccessError(gettext(
                    'service_network.msg_site_not_yours',
                    what=what() if callable(what) else what,
                    site=Pool().get('network.site')(
                        int(site)).rec_name))


def check_user_groups(groups, what):
    """Refuse unless the user is in one of groups (xml ids of
    service_network): wizards check it whatever the context says"""
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    if Transaction().user == 0:
        return
    user_groups = set(User.get_groups())
    if not any(ModelData.get_id('service_network', g) in user_groups
            for g in groups):
        raise AccessError(gettext(
                'service_network.msg_group_required', what=what))


def wizard_label(wiz_name):
    "The name of the wizard's action, in the user's language"
    pool = Pool()
    ActionWizard = pool.get('ir.action.wizard')
    with without_check_access():
        actions = ActionWizard.search([('wiz_name', '=', wiz_name)], limit=1)
    return actions[0].name if actions else wiz_name
