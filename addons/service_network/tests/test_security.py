"""Accounts, sessions and server-side read-only fields (security.py,
protection.py), in process; tests/test_security_http.py tries the same
through the served demo."""
import datetime as dt
import unittest
from unittest import mock

from trytond import backend
from trytond.cache import Cache
from trytond.config import config
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.res.exceptions import PasswordError
from trytond.tests.test_tryton import (
    DB_NAME,
    activate_module,
    drop_db,
    with_transaction,
)
from trytond.transaction import Transaction


def create_user(login, groups=(), **values):
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    user, = User.create([{
                'login': login, 'name': values.pop('name', login.title()),
                'groups': [('add', [
                            ModelData.get_id('service_network', g)
                            for g in groups])],
                **values}])
    return user


class SecurityTestCase(unittest.TestCase):
    "Accounts and read-only fields of staff handling personal data"

    @classmethod
    def setUpClass(cls):
        activate_module('service_network')

    @classmethod
    def tearDownClass(cls):
        # the next test class activates its own modules
        drop_db()

    @with_transaction()
    def test_password_policy(self):
        "Short, common, repetitive or personal passwords are refused"
        pool = Pool()
        User = pool.get('res.user')
        user = create_user('awa.ndiaye', name="Awa Ndiaye")
        for weak in ['12345678', 'aaaaaaaaaa', 'password', 'Password2026!',
                'azertyuiop1', '9876543210', 'abcdefghij', 'awa.ndiaye2026',
                'Ndiaye-2026', 'Court-1!']:
            with self.subTest(password=weak):
                with self.assertRaises(PasswordError):
                    User.write([user], {'password': weak})
        for strong in ['Senegal-2026', 'Teranga du Sine 7', 'k8#Pz2!vQm']:
            with self.subTest(password=strong):
                User.write([user], {'password': strong})

    @with_transaction()
    def test_secret_fields_for_administrators_only(self):
        "Password hashes and reset tokens are read by administrators only"
        pool = Pool()
        User = pool.get('res.user')
        agent = create_user('agent', ['group_site_agent'],
            password='Senegal-2026')
        admin, = User.search([('login', '=', 'admin')])
        User.reset_password([admin])
        with Transaction().set_user(agent.id), \
                Transaction().set_context(_check_access=True):
            for field in ['password_hash', 'password_reset',
                    'password_reset_expire']:
                with self.subTest(field=field):
                    with self.assertRaises(AccessError):
                        User.read([admin.id], [field])
                    with self.assertRaises(AccessError):
                        User.search([(field, '!=', None)])
        self.assertTrue(User.read([admin.id], ['password_reset']))

    @with_transaction()
    def test_refused_wizard_named_by_its_action(self):
        """A wizard refused to a user outside its groups is named by its
        action, not by its technical name"""
        pool = Pool()
        HolidayLoad = pool.get('network.holiday.load', type='wizard')
        agent = create_user('agent', ['group_site_agent'])
        admin = create_user('reseau', ['group_network_admin'])
        with Transaction().set_user(agent.id), \
                Transaction().set_context(_check_access=True):
            with self.assertRaises(AccessError) as cm:
                HolidayLoad.check_access()
        self.assertIn('"Load Public Holidays"', cm.exception.message)
        self.assertNotIn('network.holiday.load', cm.exception.message)
        self.assertIn('Site Agent', cm.exception.description)
        with Transaction().set_user(admin.id), \
                Transaction().set_context(_check_access=True):
            HolidayLoad.check_access()

    @with_transaction()
    def test_no_reset_without_login(self):
        "The reset asked without login sets nothing unless configured"
        pool = Pool()
        User = pool.get('res.user')
        admin, = User.search([('login', '=', 'admin')])
        # as security.reset_password calls it for common.db.reset_password
        with Transaction().set_user(0), Transaction().set_context(
                _request={'remote_addr': '10.0.0.1'}):
            User.reset_password([admin])
        self.assertIsNone(admin.password_reset)
        User.reset_password([admin])  # an administrator's button
        self.assertGreaterEqual(len(admin.password_reset), 10)

    @with_transaction()
    def test_failed_logins_count_per_network(self):
        "Failures from one network do not lock the login elsewhere"
        pool = Pool()
        Attempt = pool.get('res.user.login.attempt')
        transaction = Transaction()
        with transaction.set_context(_request={'remote_addr': '10.9.9.9'}):
            for _ in range(6):
                Attempt.add('rh')
            self.assertEqual(Attempt.count('rh'), 6)
        with transaction.set_context(_request={'remote_addr': '10.1.1.1'}):
            self.assertEqual(Attempt.count('rh'), 0)

    @with_transaction()
    def test_unknown_login_checks_a_password(self):
        "An unknown login costs a password check too"
        pool = Pool()
        User = pool.get('res.user')
        checked = []
        check_password = User.check_password
        try:
            User.check_password = classmethod(
                lambda cls, password, hash_: checked.append(hash_)
                or check_password(password, hash_))
            self.assertIsNone(User._login_password(
                    'nobody', {'password': 'Whatever-2026'}))
        finally:
            User.check_password = check_password
        self.assertEqual(len(checked), 1)

    @with_transaction()
    def test_forged_action_id(self):
        "A wizard's groups do not depend on a forged action_id"
        pool = Pool()
        ActionWizard = pool.get('ir.action.wizard')
        groups = ActionWizard.get_groups('network.holiday.load')
        self.assertTrue(groups)
        self.assertEqual(ActionWizard.get_groups(
                'network.holiday.load', action_id=987654), groups)

    @with_transaction()
    def test_idle_session(self):
        "A session idle longer than [session] timeout is over"
        pool = Pool()
        Session = pool.get('ir.session')
        user = create_user('agent', ['group_site_agent'])
        with Transaction().set_user(user.id):
            key = Session.new()
        self.assertTrue(Session.check(user.id, key))
        session, = Session.search([('key', '=', key)])
        table = Session.__table__()
        cursor = Transaction().connection.cursor()
        old = dt.datetime.now() - dt.timedelta(days=1)
        cursor.execute(*table.update(
                [table.create_date, table.write_date], [old, old],
                where=table.id == session.id))
        Session._session_reset_cache.clear()
        self.assertFalse(Session.check(user.id, key))

    @with_transaction()
    def test_session_check_as_tryton(self):
        """The session check run before every call (one query) answers as
        Tryton's own: the key from the address it was opened at, unknown
        elsewhere, expired after [session] max_age and then deleted"""
        from trytond.ir.session import Session as TrytonSession
        pool = Pool()
        Session = pool.get('ir.session')
        tryton_check = TrytonSession.check.__func__
        user = create_user('agent', ['group_site_agent'])
        office = {'_request': {'remote_addr': '10.1.2.3'}}
        elsewhere = {'_request': {'remote_addr': '192.0.2.7'}}
        with Transaction().set_user(user.id), \
                Transaction().set_context(office):
            key, old = Session.new(), Session.new()
        for context, tried, expected in [
                (office, key, True),
                (elsewhere, key, None),
                ({}, key, None),
                (office, 'x' * len(key), None),
                ]:
            with Transaction().set_context(context):
                self.assertEqual(Session.check(user.id, tried), expected,
                    msg=(context, tried))
                self.assertEqual(tryton_check(Session, user.id, tried),
                    expected, msg=(context, tried))
        table = Session.__table__()
        cursor = Transaction().connection.cursor()
        expired = dt.datetime.now() - dt.timedelta(
            seconds=config.getint('session', 'max_age') + 60)
        cursor.execute(*table.update(
                [table.create_date], [expired], where=table.key == old))
        with Transaction().set_context(office):
            self.assertIs(Session.check(user.id, old), False)
            self.assertFalse(Session.search([('key', '=', old)]))
            self.assertTrue(Session.check(user.id, key))

    @with_transaction()
    def test_readonly_fields_refused_from_users(self):
        "A site's state changes through its buttons only"
        pool = Pool()
        Site = pool.get('network.site')
        user = create_user('reseau', ['group_network_admin'])
        site, = Site.search([('code', '=', 'ZIG')])
        with Transaction().set_user(user.id), \
                Transaction().set_context(_check_access=True):
            with self.assertRaises(AccessError):
                Site.write([site], {'state': 'closed'})
            Site.write([site], {'closure_reason': "Travaux"})
        self.assertEqual(site.state, 'open')
        # the code of the site itself changes it
        Site.write([site], {'state': 'open'})

    def test_sqlite_transaction_survives_cache_sync(self):
        "A cache sync at the start of a request leaves it transactional"
        if backend.name != 'sqlite':
            self.skipTest("PostgreSQL takes a pooled connection per use")
        clean_timeout = config.get('cache', 'clean_timeout')
        config.set('cache', 'clean_timeout', '1')
        try:
            # the last sync is old: this transaction's start syncs
            Cache._clean_last = dt.datetime.now() - dt.timedelta(minutes=1)
            with Transaction().start(DB_NAME, 0) as transaction:
                self.assertGreater(Cache._clean_last,
                    dt.datetime.now() - dt.timedelta(seconds=5))
                self.assertIsNotNone(transaction.connection.isolation_level)
                Group = Pool().get('res.group')
                Group.create([{'name': "Kept only if committed"}])
                transaction.rollback()
            with Transaction().start(DB_NAME, 0):
                Group = Pool().get('res.group')
                self.assertFalse(Group.search(
                        [('name', '=', "Kept only if committed")]))
        finally:
            config.set('cache', 'clean_timeout', clean_timeout)

    def test_session_reset_only_when_due(self):
        """After a call, the session checked for it is reset by trytond
        (its own transaction, a write) only when its last reset is older
        than a tenth of [session] timeout; otherwise nothing is done"""
        from trytond import security

        from .. import session_reset
        self.assertIs(security.reset, session_reset.reset)
        with Transaction().start(DB_NAME, 0) as transaction:
            Session = Pool().get('ir.session')
            user = create_user('agent.reset', ['group_site_agent'])
            with Transaction().set_user(user.id):
                key = Session.new()
            transaction.commit()
        table = Session.__table__()

        def last_change():
            with Transaction().start(DB_NAME, 0) as transaction:
                cursor = transaction.connection.cursor()
                cursor.execute(*table.select(
                        table.write_date, where=table.key == key))
                return cursor.fetchone()[0]

        def call():
            "The session check before a call, the reset after it"
            self.assertEqual(
                security.check(DB_NAME, user.id, key, context={}), user.id)
            with mock.patch.object(session_reset, '_tryton_reset',
                    wraps=session_reset._tryton_reset) as tryton_reset:
                security.reset(DB_NAME, key, {})
            return tryton_reset.call_count

        self.assertEqual(call(), 0)
        self.assertIsNone(last_change())
        # last reset long ago: trytond resets it
        long_ago = dt.datetime.now() - dt.timedelta(
            seconds=config.getint('session', 'timeout') // 2)
        with Transaction().start(DB_NAME, 0) as transaction:
            cursor = transaction.connection.cursor()
            cursor.execute(*table.update(
                    [table.create_date], [long_ago], where=table.key == key))
            transaction.commit()
        self.assertEqual(call(), 1)
        self.assertGreater(last_change(), long_ago)
        self.assertEqual(call(), 0)
        # a session not checked first is reset by trytond
        with mock.patch.object(session_reset, '_tryton_reset') as reset:
            security.reset(DB_NAME, key, {})
        reset.assert_called_once_with(DB_NAME, key, {})

    def test_pooled_connection_checked_after_idling(self):
        """A PostgreSQL connection given back to the pool a moment ago is
        handed out unchecked; one idle longer is checked, and replaced if
        PostgreSQL closed it"""
        if backend.name != 'postgresql':
            self.skipTest("SQLite has no connection pool")
        from .. import connection_check
        database = backend.Database(DB_NAME)
        self.assertIsInstance(
            database._connpool, connection_check.IdleCheckedPool)
        pool_class = connection_check.ConnectionPool
        with mock.patch.object(pool_class, 'check_connection',
                wraps=pool_class.check_connection) as check:
            connection = database.get_connection()
            database.put_connection(connection)
            database.put_connection(database.get_connection())
            check.assert_not_called()
            with mock.patch.object(connection_check, 'IDLE_CHECK', -1):
                connection = database.get_connection()
                pid = connection.info.backend_pid
                database.put_connection(connection)
                self.assertEqual(check.call_count, 1)
                # PostgreSQL closes it while it idles in the pool
                killer = database.get_connection()
                try:
                    killer.execute(
                        'SELECT pg_terminate_backend(%s)', (pid,))
                finally:
                    killer.rollback()
                    database.put_connection(killer)
                connections = [database.get_connection() for _ in range(3)]
                try:
                    for connection in connections:
                        self.assertEqual(connection.execute(
                                'SELECT 1').fetchone(), (1,))
                        self.assertNotEqual(
                            connection.info.backend_pid, pid)
                finally:
                    for connection in connections:
                        connection.rollback()
                        database.put_connection(connection)
