"""What the benchmarks share: the PostgreSQL database they create once and
reuse, the company they work for, a free port, peak memory, and the lines
every benchmark prints (machine, cores used, floors and ratios, growth)."""
import functools
import hashlib
import math
import os
import pathlib
import resource
import socket
import subprocess
import sys
import tempfile
import time

BIN = pathlib.Path(sys.executable).parent
ROOT = pathlib.Path(__file__).resolve().parent.parent
URI = os.environ.setdefault(
    'TRYTOND_DATABASE__URI', 'postgresql://postgres@127.0.0.1:5432/')


def sql(database, statement, fetch=False):
    "Run statement on database in autocommit; its rows if fetch"
    import psycopg
    with psycopg.connect(URI + database, autocommit=True) as connection:
        cursor = connection.execute(statement)
        return cursor.fetchall() if fetch else None


def addons_digest():
    "The digest of the addons' code and data, as scripts/demo_db.py reads it"
    digest = hashlib.sha256()
    for path in sorted((ROOT / 'addons').rglob('*')):
        if path.suffix in {'.py', '.xml', '.cfg', '.po', '.fodt', '.html'}:
            digest.update(path.read_bytes())
    return digest.hexdigest()


def database_exists(name):
    "Whether PostgreSQL has the database name"
    return bool(sql('postgres',
        f"SELECT 1 FROM pg_database WHERE datname = '{name}'", fetch=True))


def _digest_comment(name):
    "The database's comment: the addons' digest when it was last set up"
    return sql('postgres', "SELECT shobj_description(oid, 'pg_database') "
        f"FROM pg_database WHERE datname = '{name}'", fetch=True)[0][0]


def mark_current(name):
    "Record in the database's comment that it matches the addons' code"
    sql('postgres', f"COMMENT ON DATABASE \"{name}\" IS '{addons_digest()}'")


def settle(name):
    """After trytond-admin created or updated the database name: its
    tables vacuumed and analysed now, as autovacuum would have done by the
    time a server runs (otherwise it does so beside the first runs, on the
    same two cores: the REST connector's growth check gave 2.31 on a new
    database, 1.99 settled), and the database marked current"""
    sql(name, 'VACUUM ANALYZE')
    mark_current(name)


def update_if_changed(name, module):
    """Return whether the database name exists with module activated;
    update it first (trytond-admin --all) when the addons changed since it
    was created or last updated (their digest is the database's comment)"""
    if not database_exists(name) or not sql(name,
            "SELECT count(*) FROM ir_module "
            f"WHERE name = '{module}' AND state = 'activated'",
            fetch=True)[0][0]:
        return False
    if _digest_comment(name) != addons_digest():
        print(f"updating the database {name}: the addons changed "
            "(trytond-admin)")
        subprocess.run([BIN / 'trytond-admin', '-d', name, '--all'],
            check=True, stderr=subprocess.DEVNULL)
        settle(name)
    return True


def activate_as_production(module):
    """Activate module in the database DB_NAME with trytond's test tools
    (activate_module), then leave the test mode they set on import
    (Pool.test): in it, Tryton also validates the computed fields of every
    record written (a billing run's 552 invoice lines computed their
    amounts, names and languages to validate them: 0.23 s), and the
    benchmark would measure work the product does not do"""
    from trytond.pool import Pool
    from trytond.tests.test_tryton import activate_module
    activate_module([module])
    Pool.test = False


def ensure_database(name, admin_password, module='service_case'):
    """Create the database name with module activated (in French), unless
    it already has it; update it when the addons changed since (see
    update_if_changed)"""
    if update_if_changed(name, module):
        return
    if database_exists(name):
        print(f"activating {module} in the database {name} (trytond-admin)")
    else:
        print(f"creating the database {name} (trytond-admin, a few minutes)")
        sql('postgres', f'CREATE DATABASE "{name}"')
    with tempfile.NamedTemporaryFile('w') as passfile:
        passfile.write(admin_password)
        passfile.flush()
        subprocess.run([BIN / 'trytond-admin', '-d', name, '-l', 'fr',
                '--email', 'admin@example.sn', '--activate-dependencies',
                '-u', module],
            env={**os.environ, 'TRYTONPASSFILE': passfile.name},
            check=True, stderr=subprocess.DEVNULL)
    settle(name)


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


def gunicorn_command(port, workers=1, access_log=None, extra=()):
    """The command serving trytond as docker/entrypoint.sh does (gunicorn,
    its sync workers, a timeout of 120 s, the access log to access_log
    when given: '-' for the output), on 127.0.0.1:port; extra: more
    options (a --config)"""
    return [BIN / 'gunicorn', '--bind', f'127.0.0.1:{port}',
        '--workers', str(workers), '--timeout', '120',
        *(['--access-logfile', str(access_log)] if access_log else []),
        *extra, 'trytond.application:app']


def server_env(database, **variables):
    """The environment of a trytond server process serving database on
    URI, its bytecode optimised as the image runs it (PYTHONOPTIMIZE);
    the name and configuration file set for this process left out (the
    servers name themselves), more TRYTOND_ variables from variables"""
    env = {**os.environ, 'TRYTOND_DATABASE__URI': URI,
        'TRYTOND_DATABASE_NAMES': database, 'PYTHONOPTIMIZE': '1',
        **variables}
    env.pop('TRYTOND_APPNAME', None)
    env.pop('TRYTOND_CONFIG', None)
    return env


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def peak_mib():
    "Peak resident memory of this process, in MiB"
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# What every benchmark prints besides its own figures (issue 18): the
# machine (cores, load average), the cores the work used (this process,
# its children and PostgreSQL's server processes), each floor with its
# ratio, and a growth check (the full size against half of it).

GROWTH_LIMIT = 2.2


def _processes():
    "(pid, parent pid, name, CPU ticks with reaped children) of each process"
    for stat in pathlib.Path('/proc').glob('[0-9]*/stat'):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.find('(') + 1:text.rfind(')')]
        fields = text[text.rfind(')') + 2:].split()
        yield (int(stat.parent.name), int(fields[1]), name,
            sum(int(field) for field in fields[11:15]))


def _ticks():
    """CPU ticks (user + system) of this process's descendants still
    running (the web servers and workers a benchmark starts), and of
    every PostgreSQL process of the machine"""
    children, postgres, ticks = {}, 0, {}
    for pid, parent, name, used in _processes():
        children.setdefault(parent, []).append(pid)
        ticks[pid] = used
        if name.startswith('postgres'):
            postgres += used
    descendants, todo = 0, list(children.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        descendants += ticks.get(pid, 0)
        todo.extend(children.get(pid, []))
    return descendants, postgres


def machine():
    """One line: the cores, the load average now and the speed of Python
    on this machine (measured once per process)"""
    one, five, fifteen = os.getloadavg()
    return (f"machine: {os.cpu_count()} cores, load average "
        f"{one:.2f} {five:.2f} {fifteen:.2f}, "
        f"a 10-million-step Python loop in {python_loop():.2f} s")


@functools.cache
def python_loop():
    """Seconds a loop of 10 million additions takes in this Python, the
    best of five runs of 2 million: the same machine ran it in 0.58 s and
    in 1.35 s on different days, and every figure of a benchmark moves with
    it, so each run says how fast the machine was"""
    # at module level (names in a dict), as the figures of the notes
    # and the README were measured with python3 -c
    code = compile(
        'total = 0\nfor i in range(2_000_000):\n    total += i\n',
        'python_loop', 'exec')
    best = math.inf
    for _ in range(5):
        start = time.perf_counter()
        exec(code, {})
        best = min(best, time.perf_counter() - start)
    return best * 5


class Cores:
    """Measure the wall time and the cores used by a block: this process
    and the processes it started (web servers, workers), and PostgreSQL's

        with Cores() as used:
            ...
        print(used)
    """

    def __enter__(self):
        self._ticks = os.sysconf('SC_CLK_TCK')
        self._start = time.perf_counter()
        self._own = self._own_seconds()
        self._children, self._postgres = _ticks()
        self._load = os.getloadavg()[0]
        return self

    @staticmethod
    def _own_seconds():
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (own.ru_utime + own.ru_stime
            + children.ru_utime + children.ru_stime)

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._start
        children, postgres = _ticks()
        # the descendants still running, and those that ended (reaped)
        self.own = (self._own_seconds() - self._own
            + (children - self._children) / self._ticks)
        # the server processes that ended within the block take their
        # ticks with them: never count less than nothing
        self.postgres = max(postgres - self._postgres, 0) / self._ticks
        self.load = max(self._load, os.getloadavg()[0])

    def __str__(self):
        wall = self.seconds or 1e-9
        return (f"cores used: {(self.own + self.postgres) / wall:.2f} "
            f"(the benchmark and its servers {self.own / wall:.2f}, "
            f"PostgreSQL {self.postgres / wall:.2f}) over "
            f"{self.seconds:.2f} s, load average up to {self.load:.2f} "
            f"on {os.cpu_count()} cores")


def median_run(runs, key):
    """The run of runs whose key is the median (the lower middle of an even
    number): on two cores a run of seconds varies by 10 % or more from one
    moment to the next, so a benchmark judges the median of a few"""
    return sorted(runs, key=key)[(len(runs) - 1) // 2]


def ratio(label, measured, floor, unit='s', against='a floor'):
    """Print measured against its floor (or against a target) and return
    the ratio (for rates, pass them so that a higher rate is the floor's)"""
    value = measured / floor if floor else float('inf')
    print(f"  {label}: {measured:.4g} {unit} against {against} of "
        f"{floor:.4g} {unit}, ratio {value:.2f}")
    return value


def growth(label, half, full, limit=GROWTH_LIMIT):
    """Print the growth check: the time at full size over the time at half
    size (linear is 2.0); return whether it stays within limit"""
    value = full / half if half else float('inf')
    verdict = 'ok' if value <= limit else 'OVER'
    print(f"growth check, {label}: full {full:.4g} s / half {half:.4g} s = "
        f"{value:.2f} (limit {limit}: {verdict})")
    return value <= limit
