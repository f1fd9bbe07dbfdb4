"""Accounts of staff who handle citizens' personal data.

Tryton's defaults are made for a trusted office; here:

- the password policy refuses short, common or repetitive passwords and
  those made of the login or the name (at least `[password] length` and
  never under 10 characters, the bundled list of common passwords,
  `[password] min_distinct` different characters);
- an unknown login costs the same time as a wrong password, so logins
  cannot be probed, and failed attempts lock a login only from the network
  they came from, so nobody can lock a colleague out from elsewhere;
- the unauthenticated "forgot my password" is off unless
  `[password] self_reset` is set; administrators reset passwords;
- a session also ends after `[session] timeout` seconds without a call, not
  only after `[session] max_age`;
- a wizard or report reserved to groups stays so whatever `action_id` the
  client puts in its context.
"""
import datetime as dt
import functools
import logging
import pathlib
import re
from hmac import compare_digest

from sql import Null
from sql.conditionals import Coalesce

from trytond import backend
from trytond.config import config
from trytond.i18n import gettext, ngettext
from trytond.model import dualmethod
from trytond.pool import PoolMeta
from trytond.res.exceptions import PasswordError
from trytond.tools import sqlite_apply_types
from trytond.transaction import Transaction, without_check_access

from . import session_reset

logger = logging.getLogger(__name__)
FORBIDDEN_PASSWORDS = pathlib.Path(__file__).parent / 'forbidden_passwords.txt'
# At least this many characters and different characters
MIN_LENGTH = 10
MIN_DISTINCT = 6


@functools.cache
def forbidden_passwords():
    "The common passwords refused, lower case"
    with FORBIDDEN_PASSWORDS.open(encoding='utf-8') as fp:
        return frozenset(
            line.strip().lower() for line in fp
            if line.strip() and not line.startswith('#'))


def _core(text):
    "text lower case without the digits and symbols around it"
    return re.sub(r'^[\W\d_]+|[\W\d_]+$', '', (text or '').lower())


def _words(text):
    "The login or name and its words at least 3 letters long, lower case"
    text = (text or '').lower()
    return {w for w in [text, *re.split(r'[\W_]+', text)] if len(w) >= 3}


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    @classmethod
    def validate_password(cls, password, users):
        super().validate_password(password, users)
        length = max(
            config.getint('password', 'length', default=0), MIN_LENGTH)
        if len(password) < length:
            raise PasswordError(ngettext(
                    'res.msg_password_length', length, length=length))
        lowered = password.lower()
        # "Password2026!" is as weak as "password": strip digits and
        # symbols around the word before looking it up
        core = _core(password)
        if (lowered in forbidden_passwords()
                or core in forbidden_passwords()):
            raise PasswordError(gettext('res.msg_password_forbidden'))
        min_distinct = config.getint(
            'password', 'min_distinct', default=MIN_DISTINCT)
        if len(set(password)) < min_distinct:
            raise PasswordError(gettext(
                    'service_network.msg_password_distinct',
                    count=min_distinct))
        classes = sum(1 for pattern in [r'[^\W\d_]', r'\d', r'[\W_]']
            if re.search(pattern, password))
        if classes < 2:
            raise PasswordError(gettext(
                    'service_network.msg_password_classes'))
        for user in users:
            rest = core
            for word in sorted(_words(getattr(user, 'login', ''))
                    | _words(getattr(user, 'name', '')), key=len,
                    reverse=True):
                rest = rest.replace(word, '')
            # "Awa.Ndiaye2026", "mlamine": the login or the name and
            # little more
            if core and len(rest) < 4:
                raise PasswordError(gettext(
                        'service_network.msg_password_personal'))

    @dualmethod
    def reset_password(cls, users, length=8, from_=None):
        transaction = Transaction()
        if (transaction.user == 0 and transaction.context.get('_request')
                and not config.getboolean(
                    'password', 'self_reset', default=False)):
            # common.db.reset_password, called by anybody without login
            logger.info("Self-service password reset refused for %s",
                ', '.join(u.login for u in users))
            return
        return super().reset_password(
            users, length=max(length, MIN_LENGTH), from_=from_)

    @classmethod
    def _login_password(cls, login, parameters):
        user_id = super()._login_password(login, parameters)
        if not user_id and 'password' in parameters:
            user_id_, password_hash, _ = cls._get_login(login)
            if not user_id_ or not password_hash:
                # Spend the time of a real check on an unknown login
                cls.check_password(parameters['password'], _dummy_hash(cls))
        return user_id


@functools.cache
def _dummy_hash(User):
    return User.hash_password('not a password of anybody')


class LoginAttempt(metaclass=PoolMeta):
    __name__ = 'res.user.login.attempt'

    @classmethod
    def count(cls, login, device_cookie=None):
        # Only the attempts from the caller's network count: failures from
        # elsewhere do not lock the owner out (the flood of one network is
        # still stopped by max_attempt_ip_network)
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        table = cls.__table__()
        _, ip_network = transaction.remote_address()
        ip_network = str(ip_network) if ip_network else None
        login = login[:cls.login.size]
        cursor.execute(*table.select(table.id,
                where=(table.login == login)
                & (table.device_cookie == device_cookie)
                & (table.ip_network == ip_network)
                & (table.create_date >= cls.delay())))
        return len(cursor.fetchall())


class Session(metaclass=PoolMeta):
    __name__ = 'ir.session'

    @classmethod
    def check(cls, user, key, domain=None):
        if domain:
            find = super().check(user, key, domain=domain)
        else:
            find = cls._check_sessions(user, key)
        if find:
            # A session left idle longer than [session] timeout is over,
            # for every call and not only those which ask for it. The
            # check above read the session: its last change is in the
            # reset cache, no need to read it again
            timeout = dt.timedelta(
                seconds=config.getint('session', 'timeout'))
            last = cls._session_reset_cache.get(key)
            if last is not None and abs(last - dt.datetime.now()) <= timeout:
                return find
            sessions = cls.search([
                    ('create_uid', '=', user),
                    ('key', '=', key),
                    domain or [],
                    ], limit=1)
            if sessions:
                session, = sessions
                if abs(session.last_modified_at - dt.datetime.now()) > timeout:
                    cls._session_reset_cache.clear()
                    cls.delete([session])
                    return False
        return find

    @classmethod
    def _check_sessions(cls, user, key):
        """Tryton's check (the sessions of the user from the caller's
        address: the key's if it is not older than [session] max_age, those
        expired deleted) in one query instead of a search and a read: it
        runs before every call"""
        now = dt.datetime.now()
        timeout = dt.timedelta(seconds=config.getint('session', 'max_age'))
        ip_address, _ = Transaction().remote_address()
        table = cls.__table__()
        query = table.select(
            table.id, table.key,
            table.create_date.as_('create_date'),
            Coalesce(table.write_date, table.create_date).as_('modified'),
            where=(table.create_uid == user)
            & (table.ip_address == str(ip_address) if ip_address
                else table.ip_address == Null))
        if backend.name == 'sqlite':
            sqlite_apply_types(query, [None, None, 'DATETIME', 'DATETIME'])
        cursor = Transaction().connection.cursor()
        cursor.execute(*query)
        find, last_reset = None, None
        to_delete = []
        for session_id, session_key, created, modified in cursor:
            if abs(created - now) < timeout:
                if compare_digest(session_key, key):
                    find = True
                    last_reset = modified
            else:
                if find is None and compare_digest(session_key, key):
                    find = False
                to_delete.append(session_id)
        if to_delete:
            cls.delete(cls.browse(to_delete))
        if find:
            cls._session_reset_cache.set(key, last_reset)
            # the reset after the call needs no transaction if recent
            session_reset.checked(
                Transaction().database.name, key, last_reset)
        return find


class _ActionGroupsMixin:
    "Groups and models of an action do not depend on a forged action_id"
    __slots__ = ()

    @classmethod
    def _own_action_id(cls, name, action_id):
        if not action_id:
            return action_id
        try:
            action_id = int(action_id)
        except (TypeError, ValueError):
            return None
        with without_check_access():
            found = cls.search([
                    (cls._action_name, '=', name),
                    ('id', '=', action_id),
                    ], count=True)
        if found:
            return action_id
        # not an action of this wizard or report: judge by all of them
        return None

    @classmethod
    def get_groups(cls, name, action_id=None):
        action_id = cls._own_action_id(name, action_id)
        return super().get_groups(name, action_id=action_id)


class ActionWizard(_ActionGroupsMixin, metaclass=PoolMeta):
    __name__ = 'ir.action.wizard'

    @classmethod
    def get_models(cls, name, action_id=None):
        action_id = cls._own_action_id(name, action_id)
        return super().get_models(name, action_id=action_id)


class ActionReport(_ActionGroupsMixin, metaclass=PoolMeta):
    __name__ = 'ir.action.report'
