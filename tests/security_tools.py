"""The demo served through HTTP as the web client calls it, to try what
each role can and cannot do.

`SecurityServer` serves the demo database (scripts/demo_db.py) with the
demo's own configuration (config/trytond.conf) on the suite's backend:
SQLite, or PostgreSQL when TRYTOND_DATABASE__URI says so. Each server runs
on a fresh copy. `RPC` logs in and calls methods over JSON-RPC like sao.
"""
import base64
import json
import os
import shutil
import sqlite3
import urllib.error
import urllib.request

from browser_tools import ROOT, build_demo, free_port, serve, server_env

URI = os.environ.get('TRYTOND_DATABASE__URI', 'sqlite://')
POSTGRESQL = URI.startswith('postgresql')
PASSWORD = 'Senegal-2026'
ADMIN_PASSWORD = 'admin-ess-2026'
ROLES = ['admin', 'reseau', 'chef.zig', 'agent.zig', 'finance', 'rh']


class RPCError(Exception):
    "An error answered by the server: its kind and message"

    def __init__(self, kind, message, status=200):
        super().__init__(f'{kind}: {message}')
        self.kind = kind
        self.message = message
        self.status = status


class SecurityServer:
    template = 'ess_browser'

    def __init__(self, name='ess_security'):
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        self.path = ROOT / 'var' / 'browser-db'
        self.database = name if POSTGRESQL else self.template
        # the SQLite and PostgreSQL suites run side by side in CI: each its
        # own folder, or one deletes the other's database and log
        backend = 'postgresql' if POSTGRESQL else 'sqlite'
        self.run_path = self.path / f'run-{backend}-{name}'
        self.env = server_env(self.port, URI, self.path)
        self.process = None

    def start(self):
        template = (f'{self.template}_template' if POSTGRESQL
            else self.template)
        # reuses the demo database while no addon changed
        build_demo(self.env, template)
        shutil.rmtree(self.run_path, ignore_errors=True)
        self.run_path.mkdir(parents=True)
        if POSTGRESQL:
            self.pg_execute(f'DROP DATABASE IF EXISTS "{self.database}"')
            self.pg_execute(
                f'CREATE DATABASE "{self.database}" TEMPLATE "{template}"')
        else:
            shutil.copyfile(
                self.path / f'{template}.sqlite',
                self.run_path / f'{self.database}.sqlite')
        self.process, self.log = serve(
            self.env, self.database, self.run_path, self.url)
        return self

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.log.close()
        if POSTGRESQL:
            self.pg_execute(
                f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    @staticmethod
    def pg_execute(statement):
        import psycopg
        with psycopg.connect(URI + 'postgres', autocommit=True) as connection:
            connection.execute(statement)

    def sql(self, query, params=()):
        """Run query on the served database, outside of trytond: what is
        really stored. Parameters are written %s."""
        if POSTGRESQL:
            import psycopg
            with psycopg.connect(URI + self.database) as connection:
                cursor = connection.execute(query, params)
                rows = cursor.fetchall() if cursor.description else None
                connection.commit()
                return rows
        connection = sqlite3.connect(
            self.run_path / f'{self.database}.sqlite', timeout=30)
        try:
            cursor = connection.execute(query.replace('%s', '?'), params)
            rows = cursor.fetchall()
            connection.commit()
            return rows
        finally:
            connection.close()

    def count(self, table, where='1=1', params=()):
        return self.sql(
            f'SELECT COUNT(*) FROM "{table}" WHERE {where}', params)[0][0]

    def snapshot(self, *tables):
        "The number of rows and the last write of each table"
        return {table: self.sql(
                f'SELECT COUNT(*), MAX(COALESCE(write_date, create_date)) '
                f'FROM "{table}"')[0]
            for table in tables}

    def rpc(self):
        return RPC(self.url, self.database)


class RPC:
    "A JSON-RPC client as sao is one: session header, context last"

    def __init__(self, url, database):
        self.url = f'{url}/{database}/rpc/'
        self.root_url = f'{url}/rpc/'
        self.database = database
        self.login_name = None
        self.session = None
        self.user_id = None
        self.context = {}

    def login(self, login, password=None):
        if password is None:
            password = ADMIN_PASSWORD if login == 'admin' else PASSWORD
        self.user_id, self.session = self.raw(
            'common.db.login', [login, {'password': password}, 'fr'])[:2]
        self.login_name = login
        self.context = self('model.res.user.get_preferences', True)
        return self

    def raw(self, method, params):
        request = urllib.request.Request(
            self.root_url if method.startswith('common.db.list')
            else self.url, data=json.dumps(
                {'id': 1, 'method': method, 'params': params}).encode(),
            headers={'Content-Type': 'application/json'})
        if self.session:
            token = f'{self.login_name}:{self.user_id}:{self.session}'
            request.add_header('Authorization', 'Session '
                + base64.b64encode(token.encode()).decode())
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                answer = json.load(response)
        except urllib.error.HTTPError as error:
            raise RPCError(
                'HTTPError', error.read().decode(errors='replace'),
                status=error.code) from None
        if 'error' in answer:
            kind, args = answer['error'][0], answer['error'][1]
            message = args[0] if isinstance(args, list) and args else args
            raise RPCError(kind, str(message))
        return answer['result']

    def __call__(self, method, *args, context=None):
        return self.raw(method, [*args, {**self.context, **(context or {})}])

    def model(self, model, method, *args, context=None):
        return self(f'model.{model}.{method}', *args, context=context)
