"""Create or upgrade the demo database and load the demo data.

    python scripts/demo_db.py DATABASE

A new database is created in French with every addon of pyproject.toml
activated, then filled by scripts/demo_data.py. An existing one is upgraded
only when an addon changed since the last run, so a second start is fast;
an addon activated by the upgrade gets its demo data then. When the demo
data scripts changed (scripts/demo_data.py, scripts/demo/), the database
is made again: demo data is loaded once, into a new database.

At each start the citizens' notifications are pointed at this start's
addresses (configure): the public address of the web ERP, which begins
the satisfaction link of the SMS (ESS_PUBLIC_URL, or http:// and
TRYTOND_WEB__LISTEN), and the SMS gateway simulator of
scripts/partner_stubs.py (ESS_SMS_PORT), which writes them to
var/log/sms.log; the scheduled task sends them every minute.
"""
import hashlib
import json
import os
import pathlib
import sqlite3
import subprocess
import sys
import tempfile
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / '.venv' / 'bin'
ADMIN_PASSWORD = 'admin-ess-2026'


def addons():
    """The addons registered as trytond.modules entry points (or those of
    ESS_ADDONS, comma-separated)"""
    if os.environ.get('ESS_ADDONS'):
        return sorted(os.environ['ESS_ADDONS'].split(','))
    with open(ROOT / 'pyproject.toml', 'rb') as fp:
        project = tomllib.load(fp)
    return sorted(project['project']['entry-points']['trytond.modules'])


def fingerprint():
    """The digest of the addons, a colon and the digest of the demo data
    scripts"""
    addons = hashlib.sha256()
    for path in sorted((ROOT / 'addons').rglob('*')):
        if path.suffix in {'.py', '.xml', '.cfg', '.po', '.fodt', '.html'}:
            addons.update(path.read_bytes())
    data = hashlib.sha256()
    scripts = ROOT / 'scripts'
    for path in [scripts / 'demo_data.py',
            *sorted((scripts / 'demo').glob('*.py'))]:
        data.update(path.read_bytes())
    return f'{addons.hexdigest()}:{data.hexdigest()}'


def data_changed(existing, current):
    "Whether the demo data scripts changed since the database was made"
    return existing.partition(':')[2] != current.partition(':')[2]


def admin(database, *args):
    env = dict(os.environ)
    with tempfile.NamedTemporaryFile('w', suffix='.password') as passfile:
        passfile.write(ADMIN_PASSWORD)
        passfile.flush()
        env['TRYTONPASSFILE'] = passfile.name
        subprocess.run([
                str(VENV_BIN / 'trytond-admin'),
                '-c', env['TRYTOND_CONFIG'], '-d', database,
                '--activate-dependencies', '-l', 'fr', *args],
            check=True, env=env)


def demo_data(database, only=None):
    subprocess.run([
            str(VENV_BIN / 'python'), str(ROOT / 'scripts' / 'demo_data.py'),
            database, ADMIN_PASSWORD, *([','.join(only)] if only else [])],
        check=True)


def activated(database, db_file=None):
    "The addons activated in the database"
    query = "SELECT name FROM ir_module WHERE state = 'activated'"
    if db_file is not None:
        with sqlite3.connect(db_file) as connection:
            return {name for name, in connection.execute(query)}
    import psycopg
    with psycopg.connect(uri() + database) as connection:
        return {name for name, in connection.execute(query)}


def public_url():
    "The address of the demo's web ERP, as the SMS links give it"
    if os.environ.get('ESS_PUBLIC_URL'):
        return os.environ['ESS_PUBLIC_URL'].rstrip('/')
    listen = os.environ.get('TRYTOND_WEB__LISTEN') or '127.0.0.1:8000'
    host, _, port = listen.rpartition(':')
    if host in {'', '0.0.0.0', '*', '[::]', '::'}:
        host = '127.0.0.1'
    return f'http://{host}:{port}'


def configure(database):
    """Send the citizens' notifications to the SMS gateway simulator, with
    links to this start's web ERP, every minute (a no-op when it is so)"""
    sys.path.insert(0, str(ROOT / 'scripts'))
    from partner_stubs import url
    values = {
        'notification_sender': 'http',
        'sms_gateway_url': url('sms'),
        'public_url': public_url(),
        }
    env = dict(os.environ, ESS_CONFIGURE=json.dumps(values))
    subprocess.run(
        [str(VENV_BIN / 'python'), '-c', CONFIGURE, database],
        check=True, env=env)


# Run in a process of its own: the database is written through trytond
CONFIGURE = """
import json, os, sys
from trytond import config
config.update_etc(os.environ['TRYTOND_CONFIG'])
from trytond.pool import Pool
from trytond.transaction import Transaction
database = sys.argv[1]
values = json.loads(os.environ['ESS_CONFIGURE'])
Pool.start()
pool = Pool(database)
pool.init()
try:
    Configuration = pool.get('case.configuration')
except KeyError:
    sys.exit(0)  # the demo of some addons only (ESS_ADDONS)
Cron = pool.get('ir.cron')
# the settings are a singleton: the first write creates it, under a lock
with Transaction().start(database, 0, context={'language': 'fr'},
        _lock_tables=[Configuration._table]):
    configuration = Configuration(1)
    if any(getattr(configuration, k) != v for k, v in values.items()):
        Configuration.write([configuration], values)
    crons = Cron.search([
            ('method', '=', 'case.notification|send_pending'),
            ['OR',
                ('interval_number', '!=', 1),
                ('interval_type', '!=', 'minutes'),
                ],
            ])
    Cron.write(crons, {'interval_number': 1, 'interval_type': 'minutes'})
    Transaction().commit()
    Screen = pool.get('case.screen')
    screens = [(s.kind, s.site.name, s.url)
        for s in Screen.search([('site.code', '=', 'ZIG')])]
    Case = pool.get('case.case')
    tracked = [(c.number, c.tracking_code) for c in Case.search([
                ('site.code', '=', 'ZIG'), ('state', '=', 'at_partner')],
            limit=1)]
print(f"== SMS to citizens: links to {values['public_url']}, sent to "
    f"{values['sms_gateway_url']}")
for kind, site, url in screens:
    label = "Display screen" if kind == 'display' else "Ticket kiosk"
    print(f"== {label} of {site}: {url}")
print(f"== Join Ziguinchor's queue from a phone: {values['public_url']}/"
    f"{database}/file/ZIG")
print(f"== Book an appointment at Ziguinchor: {values['public_url']}/"
    f"{database}/rdv/ZIG")
for number, code in tracked:
    print(f"== Track a case: {values['public_url']}/{database}/suivi "
        f"(e.g. {number}, code {code}, printed on its receipt)")
"""


def uri():
    return os.environ['TRYTOND_DATABASE__URI']


def pg_connect():
    import psycopg
    return psycopg.connect(uri() + 'postgres', autocommit=True)


def pg_fingerprint(database):
    """The fingerprint of the addons the PostgreSQL database was made with
    (kept as the database's comment), or None if it does not exist"""
    with pg_connect() as connection:
        row = connection.execute(
            "SELECT COALESCE(shobj_description(oid, 'pg_database'), '') "
            "FROM pg_database WHERE datname = %s", (database,)).fetchone()
    return row[0] if row else None


def main(database):
    # the demo runs on SQLite unless told otherwise
    os.environ.setdefault('TRYTOND_DATABASE__URI', 'sqlite://')
    if uri().startswith('postgresql'):
        return main_postgresql(database)
    db_dir = pathlib.Path(
        os.environ.get('TRYTOND_DATABASE__PATH') or ROOT / 'var' / 'db')
    db_dir.mkdir(parents=True, exist_ok=True)
    db_file = db_dir / f'{database}.sqlite'
    stamp = db_dir / f'{database}.fingerprint'
    current = fingerprint()
    if (not db_file.exists() or not stamp.exists()
            or data_changed(stamp.read_text(), current)):
        print(f"== Creating the demo database {database} (a few minutes)")
        db_file.unlink(missing_ok=True)
        db_file.touch()
        create(database)
    elif stamp.read_text() != current:
        print(f"== Upgrading the demo database {database}")
        upgrade(database, activated(database, db_file))
    else:
        print(f"== Demo database {database} is up to date")
        configure(database)
    stamp.write_text(current)


def main_postgresql(database):
    "The same on PostgreSQL: the fingerprint is the database's comment"
    current = fingerprint()
    existing = pg_fingerprint(database)
    if not existing or data_changed(existing, current):
        print(f"== Creating the demo database {database} (a few minutes)")
        with pg_connect() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}"')
            connection.execute(f'CREATE DATABASE "{database}"')
        create(database)
    elif existing != current:
        print(f"== Upgrading the demo database {database}")
        upgrade(database, activated(database))
    else:
        print(f"== Demo database {database} is up to date")
        configure(database)
    with pg_connect() as connection:
        connection.execute(
            f'COMMENT ON DATABASE "{database}" IS \'{current}\'')


def create(database):
    admin(database, '--email', 'admin@senegalnumerique.sn', '-u', *addons())
    # before the demo data, whose cases send their SMS with the links
    configure(database)
    demo_data(database)


def upgrade(database, before):
    admin(database, '-u', *addons())
    configure(database)
    new = sorted(set(addons()) - before)
    if new:
        demo_data(database, new)


if __name__ == '__main__':
    main(sys.argv[1])
