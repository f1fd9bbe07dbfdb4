"""The sites a user works at, and the record-rule context built on them.

Record rules of any addon restrict site staff with the domain
``[('site', 'in', Eval('sites', []))]``: `sites` holds the ids of the
current user's sites (see `Rule._get_context`).
"""
from trytond.cache import Cache
from trytond.config import config
from trytond.model import ModelSQL, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import (
    Transaction,
    inactive_records,
    without_check_access,
)

# {(user id, the context's employee): id of the user's employee or None},
# emptied when a user or an employee changes: users without employee in
# their context (the administrators) read their user on every case they
# open
_user_employees = Cache('service_network.user_employee', context=False)


def current_employee():
    """Return the employee of the current user, or None: the employee of
    the context when it is one of the user's (the company module's cached
    list, which spares reading the user on every case), else the user's"""
    pool = Pool()
    User = pool.get('res.user')
    Employee = pool.get('company.employee')
    transaction = Transaction()
    employee = transaction.context.get('employee')
    if (transaction.user and employee is not None
            and employee in User.get_employees()):
        return Employee(employee)
    # the company module's read answers from the context's employee too
    key = (transaction.user, employee)
    found = _user_employees.get(key, -1)
    if found == -1:
        # the one field, not the whole user (its groups, rules, actions...)
        found = User.read([transaction.user], ['employee'])[0]['employee']
        _user_employees.set(key, found)
    return Employee(found) if found is not None else None


class UserSite(ModelSQL):
    __name__ = 'network.site-res.user'
    site = fields.Many2One(
        'network.site', "Site", ondelete='CASCADE', required=True)
    user = fields.Many2One(
        'res.user', "User", ondelete='CASCADE', required=True)

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        pool = Pool()
        User = pool.get('res.user')
        super().on_modification(mode, records, field_names=field_names)
        User.clear_sites_cache()


class User(metaclass=PoolMeta):
    __name__ = 'res.user'
    sites = fields.Many2Many(
        'network.site-res.user', 'user', 'site', "Sites",
        help="The sites where the user works: site staff only see the "
        "records of these sites.")
    _get_sites_cache = Cache(__name__ + '.get_sites', context=False)

    @classmethod
    def get_sites(cls):
        "Return a tuple of the ids of the current user's sites"
        user_id = Transaction().user
        sites = cls._get_sites_cache.get(user_id)
        if sites is not None:
            return sites
        sites = tuple(sorted(s.id for s in cls(user_id).sites))
        return cls._get_sites_cache.set(user_id, sites)

    @classmethod
    def clear_sites_cache(cls):
        pool = Pool()
        Rule = pool.get('ir.rule')
        cls._get_sites_cache.clear()
        Rule._domain_get_cache.clear()

    @classmethod
    def on_modification(cls, mode, users, field_names=None):
        super().on_modification(mode, users, field_names=field_names)
        if field_names is None or 'sites' in field_names:
            cls.clear_sites_cache()
        if field_names is None or 'employee' in field_names:
            _user_employees.clear()


class Employee(metaclass=PoolMeta):
    __name__ = 'company.employee'

    @classmethod
    def on_modification(cls, mode, employees, field_names=None):
        super().on_modification(mode, employees, field_names=field_names)
        # a deleted employee leaves its users without one
        if mode == 'delete':
            _user_employees.clear()


# The rules' domains are cached per groups, sites and, for the rules on
# what agents registered themselves, per user: trytond's default of 1,024
# entries (`[cache] default`) held the keys of a few dozen agents, so with
# the network's 184 the rules were read again at nearly every call. Unless
# `[cache] ir_rule.domain_get` says otherwise, this many:
RULE_CACHE_SIZE = 65536


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        if config.get('cache', 'ir_rule.domain_get') is None:
            cls._domain_get_cache.size_limit = max(
                cls._domain_get_cache.size_limit, RULE_CACHE_SIZE)

    @classmethod
    def _get_cache_key(cls, model_names):
        pool = Pool()
        User = pool.get('res.user')
        return (*super()._get_cache_key(model_names), User.get_sites())

    @classmethod
    def _get_context(cls, model_name):
        pool = Pool()
        User = pool.get('res.user')
        context = super()._get_context(model_name)
        context['sites'] = list(User.get_sites())
        return context

    @classmethod
    def check(cls, model_name, ids, mode='read'):
        # trytond's check searches the records within the rules' domain,
        # which loads every column of each of them: their ids tell whether
        # one is forbidden (every write of a user over JSON-RPC is checked
        # so, see protection.py); trytond's check runs for the message
        # naming the records and rules when one is
        Model = Pool().get(model_name)
        domain = cls.domain_get(model_name, mode=mode)
        if domain and issubclass(Model, ModelSQL) and ids:
            transaction = Transaction()
            with transaction.set_user(0, set_context=True), \
                    inactive_records(), without_check_access():
                query = Model.search(
                    [('id', 'in', ids), domain], order=[], query=True)
                cursor = transaction.connection.cursor()
                cursor.execute(*query)
                if set(ids) <= {record_id for record_id, in cursor}:
                    return
        super().check(model_name, ids, mode=mode)
