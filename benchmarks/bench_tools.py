"""What the benchmarks share: the PostgreSQL database they create once and
reuse, the company they work for, a free port, peak memory."""
import os
import pathlib
import resource
import socket
import subprocess
import sys
import tempfile

BIN = pathlib.Path(sys.executable).parent
URI = os.environ.setdefault(
    'TRYTOND_DATABASE__URI', 'postgresql://postgres@127.0.0.1:5432/')


def sql(database, statement, fetch=False):
    "Run statement on database in autocommit; its rows if fetch"
    import psycopg
    with psycopg.connect(URI + database, autocommit=True) as connection:
        cursor = connection.execute(statement)
        return cursor.fetchall() if fetch else None


def ensure_database(name, admin_password, module='service_case'):
    """Create the database name with module activated (in French), unless
    it already has it"""
    exists = sql('postgres',
        f"SELECT 1 FROM pg_database WHERE datname = '{name}'", fetch=True)
    if exists and sql(name, "SELECT count(*) FROM ir_module "
            f"WHERE name = '{module}' AND state = 'activated'",
            fetch=True)[0][0]:
        return
    print(f"creating the database {name} (trytond-admin, a few minutes)")
    if not exists:
        sql('postgres', f'CREATE DATABASE "{name}"')
    with tempfile.NamedTemporaryFile('w') as passfile:
        passfile.write(admin_password)
        passfile.flush()
        subprocess.run([BIN / 'trytond-admin', '-d', name, '-l', 'fr',
                '--email', 'admin@example.sn', '--activate-dependencies',
                '-u', module],
            env={**os.environ, 'TRYTONPASSFILE': passfile.name},
            check=True, stderr=subprocess.DEVNULL)


def ensure_company(pool):
    """Return the company of the database (created in XOF when missing,
    and given to the admin user), inside a started transaction"""
    Company = pool.get('company.company')
    Currency = pool.get('currency.currency')
    Party = pool.get('party.party')
    User = pool.get('res.user')
    companies = Company.search([])
    if companies:
        return companies[0]
    xof, = Currency.search([('code', '=', 'XOF')])
    party, = Party.create([{'name': "Sénégal Numérique SA"}])
    company, = Company.create([{'party': party.id, 'currency': xof.id}])
    User.write([User(1)], {
            'companies': [('add', [company.id])], 'company': company.id})
    return company


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def peak_mib():
    "Peak resident memory of this process, in MiB"
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
