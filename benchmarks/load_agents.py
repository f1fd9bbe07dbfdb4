"""Many agents at once on the production set-up (issues 9 and 18).

    .venv/bin/python -O benchmarks/load_agents.py
    options: [--workers 2] [--duration 60] [--think 1-3 | 5-15]
        [--visit desk | desk-tab | generic] [--agents N] [--no-growth]
        [--saturation-duration 0] [--costs-duration 0]
        [--database bench_load]

46 sites x 4 agents: 184 simulated agents, each with its own login and
JSON-RPC session, work for --duration seconds against gunicorn serving
trytond's WSGI app with --workers processes (plus trytond-worker and
trytond-cron, as docker/compose.yaml runs them) on PostgreSQL. Each agent
serves visitor after visitor at its counter, pausing between actions
(--think, uniform; 1-3 s is the busy morning and the default, 5-15 s an
ordinary day):

- desk (default), sao's calls on the desk form (case.desk, the menu "My
  Counter") as an agent clicks its buttons, the citizen served without
  leaving it, not a custom screen: a ticket is taken at the kiosk (1
  call); Finish and Call Next, or Call Next when nobody is at the desk
  (the button, then sao's reload of the desk: read with the form's
  fields, 2); the agent types the NIN of the citizen's identity card in
  the citizen field (sao's completion: party autocomplete, then the
  citizen picked read, 2); ticks the documents brought in the desk's
  checklist and picks cash (two actions in the form, with their pauses,
  no call); Open Case (the desk saved with the citizen, the ticks and the
  payment method: write; the button opens, submits and collects the
  case; the desk's reload: 3); one of the two lists (the site's open
  cases, today's tickets) read as sao reads a list (search, then read,
  2): 10 calls per served citizen, the calls sao made in Chromium
  (tests/test_browser_counter.py) but for the ticket and the list;
- desk-tab, the same on the desk form and on the case's tab, as before the
  desk held the checklist: a ticket (1), Call Next (2), the NIN (1), Open
  Case (the desk saved, the button, whose action opens the case's tab:
  the case read with its checklist and its resources, then the desk's
  reload, 5); on the case's tab the documents ticked and Submit (the
  case's write of its documents, the button, the reload, 3), cash picked
  and Collect (write, button, reload, 3); back on the desk Finish
  (button, reload, 2); a list (2): 19 calls per served citizen. The reads
  ask what sao asks (SaoForm: the view's fields from fields_view_get,
  with the x2many's sub-fields); fields_view_get is cached by sao and
  made once per agent; sao's _timestamp in the context is left out;
- generic, the records' own calls as sao makes them on each record's form
  (create, read, write, buttons; the citizen searched by a surname), 17
  calls per served citizen, with narrower reads than sao's.

Prints, per run and per operation (one JSON-RPC call): count, throughput,
median, 95th percentile and maximum latency, errors with their first
messages; the login phase (all agents logging in at once: the password
hash is not weakened); served citizens, calls per served citizen, CPU
milliseconds per call of the web workers and of PostgreSQL; the CPU used
by the web workers, PostgreSQL and this client, the cores used (Cores)
and the load average. Targets: no error, a 95th percentile under 500 ms
for every operation, the login phase under 60 s; the exit status is 1
when one is missed.

Growth check: the same run with half the agents (92) first. With fixed
pauses the agents ask twice the calls when they are twice as many, so a
server that keeps up does twice the work: the server's CPU seconds (web
workers and PostgreSQL) with 184 agents over those with 92 is 2.0 when
the cost of a call does not depend on how many agents call at once, more
when it does (lock waits, retried transactions, queues in the workers);
the limit is 2.2. A server that cannot keep up serves fewer than twice
the calls (printed too) and misses the p95 target.

Where the CPU goes (--costs-duration S): after the runs, one agent alone
on one web worker, without pause, for S seconds; the CPU the worker and
PostgreSQL use during each of its calls, by operation, and per served
citizen.

Environment overrides: LOAD_DATABASE, LOAD_WORKERS=2, LOAD_DURATION=60,
LOAD_THINK=1-3, LOAD_VISIT=desk, LOAD_GROWTH=1 (0 skips the half run),
LOAD_SATURATION_DURATION=0 (seconds of runs without pause, 16 clients),
LOAD_COSTS_DURATION=0, LOAD_CITIZENS=200000, LOAD_WARMUP=1 (whole visits
per agent before the run, not recorded), LOAD_PROFILE=PATH (cProfile of
each web worker to PATH.<pid>).

The database (default bench_load) is created when missing and reused: the
46 sites of service_network, 4 counters, 4 agent users and their desks per
site, 2,000 citizens made by the ORM and the rest up to 200,000 inserted
with SQL (each with a NIN), pg_trgm and the citizens' trigram indexes,
and a history of 200,000 cases and 300,000 tickets loaded with SQL so
that searches run on tables of a realistic size. What agents create in a
run is deleted before the next run, so every run starts from the same
data. Set-up is not timed.
"""
import argparse
import base64
import collections
import datetime as dt
import gzip
import http.client
import json
import math
import os
import pathlib
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from bench_tools import (
    BIN,
    URI,
    Cores,
    ensure_company,
    ensure_database,
    free_port,
    growth,
    gunicorn_command,
    machine,
    server_env,
    sql,
)

ROOT = pathlib.Path(__file__).resolve().parent.parent
os.environ.pop('TRYTOND_CONFIG', None)
ADMIN_PASSWORD = 'bench-admin'
AGENT_PASSWORD = 'Bench-Load-2026'
AGENTS_PER_SITE = 4
# The 4 counters of every site: two serve Justice (the busiest sector), so
# that two agents call the same queue at the same time, as at a real site
COUNTERS = [
    ('Guichet 1 - Justice', 'J', 'CJ-B3'),
    ('Guichet 2 - Justice', 'J', 'CJ-B3'),
    ('Guichet 3 - État civil', 'C', 'EC-NAIS'),
    ('Guichet 4 - Poste', 'P', 'POS-MDT'),
    ]
CITIZENS = 2000
# whole visits of each agent before the run (not recorded)
WARMUP_VISITS = int(os.environ.get('LOAD_WARMUP', 1))
# the network's size: the rest of the citizens are inserted with SQL
ALL_CITIZENS = int(os.environ.get('LOAD_CITIZENS', 200_000))
BULK_CODE = 'BCIT-'
# citizens an agent finds by their NIN, among those of its site's cases
NINS_PER_SITE = 200
FIRST_NAMES = ['Awa', 'Fatou', 'Aminata', 'Mariama', 'Khady', 'Ndeye',
    'Aissatou', 'Coumba', 'Moussa', 'Mamadou', 'Ibrahima', 'Ousmane',
    'Cheikh', 'Abdoulaye', 'Modou', 'Babacar', 'Pape', 'Seydou', 'Lamine',
    'Aliou']
SURNAMES = ['Diallo', 'Ndiaye', 'Diop', 'Fall', 'Sarr', 'Ba', 'Sow', 'Gueye',
    'Faye', 'Cissé', 'Mbaye', 'Sané', 'Diatta', 'Badji', 'Kane', 'Thiam',
    'Seck', 'Niang', 'Camara', 'Touré', 'Sy', 'Dieng', 'Mendy', 'Coly']
HISTORY_CASES = 200_000
HISTORY_TICKETS = 300_000
TARGET_P95 = 0.5
THINK_NOTE = """\
pauses: between two screens a person at a counter reads the citizen's
papers, types a NIN, counts cash. 1-3 s (the default) is the busy morning's
peak: every agent of the network at once, as fast as one can click; 5-15 s
(--think 5-15) is an ordinary day, still 3 to 5 times faster than a real
visit."""
CASE_LIST_FIELDS = ['number', 'site.rec_name', 'citizen.rec_name',
    'procedure.rec_name', 'channel', 'assignee.rec_name', 'submission_date',
    'due_date', 'sla_status', 'total_fee', 'state']
TICKET_LIST_FIELDS = ['date', 'number', 'site.rec_name', 'sector.rec_name',
    'arrived_at', 'called_at', 'counter.rec_name', 'agent.rec_name',
    'waiting_time', 'service_time', 'outcome', 'state']
# sao searches up to 1,000 ids, then reads the rows in batches of
# 1000 / (number of fields) (Sao.config.limit in tryton-sao 8.0)
SAO_LIMIT = 1000
# in the order of a visit
OPERATIONS = ['ticket.take', 'desk.finish_call_next', 'desk.call_next',
    'desk.read', 'desk.save', 'desk.open_case', 'case.resources',
    'desk.finish', 'counter.call_next', 'ticket.current', 'party.search',
    'party.read', 'case.create', 'case.read', 'document.read', 'case.tick',
    'case.submit', 'case.pay', 'case.collect', 'ticket.close', 'ticket.done',
    'list.cases.search', 'list.cases.read', 'list.tickets.search',
    'list.tickets.read']
OPEN_TAB = [('state', 'in',
        ['submitted', 'transmitted', 'at_partner', 'waiting_partner'])]


# Set-up (not timed) -------------------------------------------------------

def prepare(database):
    """Create what is missing of the company, counters, citizens and agent
    users; return the agents as dicts and the ids of the citizens"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(database)
    pool.init()
    with Transaction().start(database, 0) as transaction:
        Party = pool.get('party.party')
        Site = pool.get('network.site')
        Sector = pool.get('network.sector')
        Counter = pool.get('network.counter')
        Procedure = pool.get('network.procedure')
        Employee = pool.get('company.employee')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')

        company = ensure_company(pool)

        sites = Site.search([('state', '=', 'open')], order=[('code', 'ASC')])
        sectors = {s.code: s for s in Sector.search([])}
        procedures = {p.code: p for p in Procedure.search([])}
        for _, _, code in COUNTERS:
            if not procedures[code].documents:
                sys.exit(f"procedure {code} has no checklist")
        existing = {(c.site.id, c.name): c for c in Counter.search([])}
        Counter.create([{
                    'site': site.id, 'name': name,
                    'sector': sectors[sector].id}
                for site in sites for name, sector, _ in COUNTERS
                if (site.id, name) not in existing])
        counters = {(c.site.id, c.name): c for c in Counter.search([])}

        citizens = Party.search([('name', 'like', '% (bench)')])
        if len(citizens) < CITIZENS:
            rng = random.Random(len(citizens))
            Party.create([{
                        'name': f"{rng.choice(FIRST_NAMES)} "
                        f"{rng.choice(SURNAMES)} {i} (bench)"}
                    for i in range(len(citizens), CITIZENS)])
            citizens = Party.search([('name', 'like', '% (bench)')])

        group = ModelData.get_id('service_network', 'group_site_agent')
        logins = {u.login: u for u in User.search(
                [('login', 'like', 'agent.%.%')])}
        missing = [(site, k) for site in sites
            for k in range(1, AGENTS_PER_SITE + 1)
            if f'agent.{site.code.lower()}.{k}' not in logins]
        if missing:
            print(f"creating {len(missing)} agent users")
            employees = Employee.create([{
                        'party': Party.create([{
                                    'name': f"Agent {k} {site.code}"}])[0].id,
                        'company': company.id}
                    for site, k in missing])
            User.create([{
                        'login': f'agent.{site.code.lower()}.{k}',
                        'name': f"Agent {k} {site.code}",
                        'password': AGENT_PASSWORD,
                        'groups': [('add', [group])],
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'employees': [('add', [employee.id])],
                        'employee': employee.id,
                        'sites': [('add', [site.id])],
                        }
                    for (site, k), employee in zip(
                        missing, employees, strict=True)])
            logins = {u.login: u for u in User.search(
                    [('login', 'like', 'agent.%.%')])}
        # each agent's counter workspace, at its counter
        Desk = pool.get('case.desk')
        desks = {d.user.id: d for d in Desk.search([])}
        to_save = []
        for site in sites:
            for k, (name, _, _) in enumerate(COUNTERS, 1):
                user = logins[f'agent.{site.code.lower()}.{k}']
                counter = counters[site.id, name]
                desk = desks.get(user.id) or Desk(user=user)
                if desk.id is None or desk.counter != counter:
                    desk.counter = counter
                    desk.site = site
                    to_save.append(desk)
        Desk.save(to_save)
        agents = []
        for site in sites:
            for k, (name, sector, procedure) in enumerate(COUNTERS, 1):
                user = logins[f'agent.{site.code.lower()}.{k}']
                agents.append({
                        'login': user.login, 'user': user.id,
                        'site': site.id,
                        'counter': counters[site.id, name].id,
                        'sector': sectors[sector].id,
                        'procedure': procedures[procedure].id,
                        })
        transaction.commit()
        return agents, [c.id for c in citizens]


def load_citizens(database):
    """Give the citizens made by the ORM a NIN, and top the citizens up to
    ALL_CITIZENS with SQL (a few seconds): names drawn from the same lists,
    a NIN each; return the time it took"""
    start = time.perf_counter()
    sql(database, "UPDATE party_party "
        "SET national_id = '1' || lpad(id::text, 12, '0') "
        "WHERE name LIKE '% (bench)' AND national_id IS NULL")
    have, = sql(database, "SELECT count(*) FROM party_party "
        f"WHERE code LIKE '{BULK_CODE}%'", fetch=True)[0]
    wanted = ALL_CITIZENS - CITIZENS
    if have < wanted:
        first = "(ARRAY[" + ','.join(f"'{n}'" for n in FIRST_NAMES) + "])"
        last = "(ARRAY[" + ','.join(f"'{n}'" for n in SURNAMES) + "])"
        sql(database, f"""
            INSERT INTO party_party (code, name, first_name, last_name,
                national_id, active, create_date, create_uid)
            SELECT '{BULK_CODE}' || g, f || ' ' || upper(l), f, upper(l),
                '2' || lpad(g::text, 12, '0'), true, now(), 0
            FROM generate_series({have + 1}, {wanted}) AS g,
                LATERAL (SELECT {first}[1 + g % {len(FIRST_NAMES)}] AS f,
                    {last}[1 + (g / {len(FIRST_NAMES)}) % {len(SURNAMES)}]
                    AS l) AS t""")
        # vacuumed as autovacuum would have done it since: the visibility
        # map lets the citizens' indexes answer without reading the table
        sql(database, "VACUUM (ANALYZE) party_party")
        print(f"{wanted - have} citizens inserted with SQL in "
            f"{time.perf_counter() - start:.1f} s")
    total, = sql(database, "SELECT count(*) FROM party_party", fetch=True)[0]
    return total


def ensure_trigrams(database):
    """pg_trgm in the database and the citizens' trigram indexes: the
    module's indexes are made by trytond-admin once the extension is
    there (as a production database needs it)"""
    indexes = sql(database, "SELECT indexdef FROM pg_indexes "
        "WHERE tablename = 'party_party' AND indexdef LIKE '%gin_trgm_ops%'"
        " AND indexdef LIKE '%COALESCE(national_id%'", fetch=True)
    if indexes:
        return
    print("creating pg_trgm and the party indexes (trytond-admin -u)")
    sql(database, "CREATE EXTENSION IF NOT EXISTS pg_trgm")
    subprocess.run([BIN / 'trytond-admin', '-d', database,
            '-u', 'service_case'], check=True, stderr=subprocess.DEVNULL)


def site_nins(database):
    """{site: [(citizen id, NIN)]}: citizens of each site's past cases,
    those that its agents read (site staff read their sites' citizens)"""
    rows = sql(database, f"""
        SELECT site, citizen, national_id FROM (
            SELECT c.site, c.citizen, p.national_id, row_number() OVER (
                PARTITION BY c.site ORDER BY c.citizen) AS r
            FROM (SELECT DISTINCT site, citizen FROM case_case
                WHERE number LIKE 'H-%') AS c
            JOIN party_party AS p ON p.id = c.citizen
            WHERE p.national_id IS NOT NULL) AS t
        WHERE r <= {NINS_PER_SITE}""", fetch=True)
    nins = collections.defaultdict(list)
    for site, citizen, nin in rows:
        nins[site].append((citizen, nin))
    return nins


def array(ids):
    "A SQL array literal of ids, ready to be indexed"
    return '(ARRAY[' + ','.join(map(str, ids)) + '])'


def load_history(database, agents, citizen_ids):
    """Top the tables up with a past of closed cases and done tickets,
    spread over the sites, sectors and the last 365 days (never today)"""
    cases, = sql(database, "SELECT count(*) FROM case_case", fetch=True)[0]
    tickets, = sql(database, "SELECT count(*) FROM case_ticket",
        fetch=True)[0]
    sites = sorted({a['site'] for a in agents})
    site_array = array(sites)
    citizens = array(citizen_ids)
    procedures = array(sorted({a['procedure'] for a in agents}))
    # counter, sector and site of each counter, in one list
    counters = sorted({(a['counter'], a['sector'], a['site'])
            for a in agents})
    counter_array = array(c for c, _, _ in counters)
    sector_array = array(s for _, s, _ in counters)
    csite_array = array(s for _, _, s in counters)
    start = time.perf_counter()
    if cases < HISTORY_CASES:
        sql(database, f"""
            INSERT INTO case_case (number, site, citizen, procedure, channel,
                state, submission_date, due_date, delivery_date,
                late_flagged, rating, phone, create_date, create_uid)
            SELECT 'H-' || g, {site_array}[1 + g % {len(sites)}],
                {citizens}[1 + g % {len(citizen_ids)}],
                {procedures}[1 + g % 3], 'counter',
                CASE WHEN open THEN 'submitted' ELSE 'delivered' END,
                d::date, d::date + 3,
                CASE WHEN NOT open THEN d::date + 1 + g % 5 END,
                -- the scheduled task has flagged the late ones already
                open, CASE WHEN NOT open AND g % 3 = 0 THEN 1 + g % 5 END,
                '+221 77 000 00 00', d, 0
            FROM generate_series({cases + 1}, {HISTORY_CASES}) AS g,
                LATERAL (SELECT date_trunc('day', now())
                    - (1 + g % 365) * interval '1 day'
                    + interval '8 hours'
                    + (g % 480) * interval '1 minute' AS d,
                    -- one case in ten still open, at every site
                    (g / {len(sites)}) % 10 = 0 AS open) AS t""")
    if tickets < HISTORY_TICKETS:
        sql(database, f"""
            INSERT INTO case_ticket (site, sector, date, number, arrived_at,
                called_at, done_at, counter, outcome, state, create_date,
                create_uid)
            SELECT {csite_array}[i], {sector_array}[i], d::date, 'H-' || g,
                d, d + interval '12 minutes', d + interval '25 minutes',
                {counter_array}[i], 'information', 'done', d, 0
            FROM generate_series({tickets + 1}, {HISTORY_TICKETS}) AS g,
                LATERAL (SELECT 1 + g % {len(counters)} AS i,
                    date_trunc('day', now())
                    - (1 + g % 365) * interval '1 day'
                    + interval '8 hours'
                    + (g % 480) * interval '1 minute' AS d) AS t""")
    if cases < HISTORY_CASES or tickets < HISTORY_TICKETS:
        # a network's years of history have long been vacuumed
        sql(database, "VACUUM (ANALYZE)")
        print(f"history loaded with SQL in {time.perf_counter() - start:.0f}"
            f" s: {HISTORY_CASES} cases, {HISTORY_TICKETS} tickets")


def reset(database, agents):
    """Delete what agents created in earlier runs, the lines of the cases
    first, with the foreign-key triggers off (session_replication_role):
    thousands of cases go at once instead of row by row"""
    import psycopg
    users = ','.join(str(a['user']) for a in agents)
    cases = f"SELECT id FROM case_case WHERE create_uid IN ({users})"
    with psycopg.connect(URI + database, autocommit=True) as connection:
        with connection.transaction():
            connection.execute("SET LOCAL session_replication_role = replica")
            # the counter workspaces serve nobody
            connection.execute("UPDATE case_desk SET ticket = NULL, "
                "citizen = NULL, procedure = NULL, \"case\" = NULL, "
                "outcome = NULL, oriented_to = NULL, transfer_sector = NULL, "
                "payment_method = NULL, payment_reference = NULL, "
                f"message = NULL WHERE \"user\" IN ({users})")
            connection.execute("DELETE FROM case_desk_document WHERE desk IN "
                f"(SELECT id FROM case_desk WHERE \"user\" IN ({users}))")
            connection.execute(
                f"DELETE FROM case_ticket WHERE create_uid IN ({users})")
            for table in ['case_document', 'case_fee', 'case_history',
                    'case_notification']:
                connection.execute(
                    f'DELETE FROM {table} WHERE "case" IN ({cases})')
            connection.execute(
                f"DELETE FROM case_case WHERE create_uid IN ({users})")
            connection.execute(
                f"DELETE FROM ir_session WHERE create_uid IN ({users})")
        for table in ['case_ticket', 'case_case', 'case_document',
                'case_fee', 'case_history', 'case_notification',
                'ir_session', 'case_desk', 'case_desk_document']:
            connection.execute(f"VACUUM ANALYZE {table}")


# The production processes ------------------------------------------------

# LOAD_PROFILE=PATH: each web worker runs under cProfile and writes its
# statistics to PATH.<pid> when it stops (read them with pstats)
PROFILE = os.environ.get('LOAD_PROFILE')
PROFILE_CONFIG = """\
import cProfile


def post_fork(server, worker):
    worker.profile = cProfile.Profile()
    worker.profile.enable()


def worker_exit(server, worker):
    worker.profile.disable()
    worker.profile.dump_stats('{path}.%d' % worker.pid)
"""

class Production:
    """gunicorn with N workers, trytond-worker and trytond-cron, started
    as tests/test_production.py does; stopped (process groups) on exit"""

    def __init__(self, database, workers, logs):
        self.database = database
        self.workers = workers
        self.logs = logs
        self.port = free_port()
        self.processes = {}

    def __enter__(self):
        env = server_env(self.database,
            TRYTOND_DATABASE__PATH=str(self.logs / 'files'),
            TRYTOND_QUEUE__WORKER='True',
            TRYTOND_WEB__ROOT=str(ROOT / 'var' / 'sao'))
        (self.logs / 'files').mkdir(exist_ok=True)
        profile = []
        if PROFILE:
            config = self.logs / 'profile.conf.py'
            config.write_text(PROFILE_CONFIG.format(path=PROFILE))
            profile = ['--config', str(config)]
        try:
            for name, command in [
                    ('web', gunicorn_command(self.port, self.workers,
                            access_log='-', extra=profile)),
                    ('worker', [BIN / 'trytond-worker', '-d', self.database,
                            '-n', '1']),
                    ('cron', [BIN / 'trytond-cron', '-d', self.database]),
                    ]:
                with open(self.log(name), 'w') as log:
                    self.processes[name] = subprocess.Popen(
                        command, env=env, cwd=ROOT, stdout=log,
                        stderr=subprocess.STDOUT, start_new_session=True)
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def log(self, name):
        return self.logs / f'{name}-{self.workers}.log'

    def wait_ready(self):
        url = f'http://127.0.0.1:{self.port}/'
        end = time.monotonic() + 180
        while time.monotonic() < end:
            if self.processes['web'].poll() is not None:
                tail = self.log('web').read_text().splitlines()[-10:]
                raise RuntimeError("gunicorn stopped:\n" + '\n'.join(tail))
            try:
                with urllib.request.urlopen(url, timeout=5):
                    pass
            except OSError:
                time.sleep(0.5)
                continue
            if len(self.web_pids()) == self.workers + 1:
                return
            time.sleep(0.5)
        raise RuntimeError("gunicorn did not answer in 180 s")

    def web_pids(self):
        return process_group(self.processes['web'].pid)

    def stop(self):
        for process in self.processes.values():
            signal_group(process, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
            signal_group(process, signal.SIGKILL)
            process.wait()
        self.processes.clear()


def signal_group(process, signum):
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


def proc_stat(pid):
    "(process group, command, CPU seconds) of pid, or None if gone"
    try:
        text = pathlib.Path(f'/proc/{pid}/stat').read_text()
    except OSError:
        return None
    command = text[text.index('(') + 1:text.rindex(')')]
    fields = text[text.rindex(')') + 2:].split()
    return (int(fields[2]), command,
        (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK'))


def all_stats():
    stats = {}
    for entry in pathlib.Path('/proc').iterdir():
        if entry.name.isdigit():
            stat = proc_stat(entry.name)
            if stat:
                stats[int(entry.name)] = stat
    return stats


def process_group(pgid):
    return [pid for pid, (group, _, _) in all_stats().items()
        if group == pgid]


def machine_busy():
    "(busy, total) jiffies of all cores since boot"
    values = [int(v) for v in pathlib.Path('/proc/stat').read_text()
        .splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class CpuMeter:
    """CPU used during a run by the web workers, PostgreSQL and this
    client, from /proc: a process that ended during the run is missed"""

    def __init__(self, web_group, database):
        self.web_group = web_group
        self.database = database

    def sample(self):
        processes = all_stats()
        return {
            'processes': processes,
            'backends': self.backends(processes),
            'client': time.process_time(),
            'machine': machine_busy(),
            'wall': time.monotonic(),
            }

    def __enter__(self):
        self.start = self.sample()
        return self

    def __exit__(self, *exc):
        self.end = self.sample()

    def used(self, keep):
        "CPU seconds of the processes kept, since the start"
        before = self.start['processes']
        seconds = 0
        for pid, (group, command, cpu) in self.end['processes'].items():
            if keep(group, command):
                seconds += cpu - (before[pid][2] if pid in before
                    and before[pid][1] == command else 0)
        return seconds

    def backends(self, processes):
        "{pid: CPU seconds} of the PostgreSQL backends of the database"
        backends = {}
        for pid, (_, command, cpu) in processes.items():
            if command != 'postgres':
                continue
            try:
                title = pathlib.Path(f'/proc/{pid}/cmdline').read_bytes()
            except OSError:
                continue
            if f' {self.database} '.encode() in title:
                backends[pid] = cpu
        return backends

    def figures(self):
        "CPU seconds of the web workers and PostgreSQL's backends"
        web = self.used(lambda group, _: group == self.web_group)
        postgres = sum(cpu - self.start['backends'].get(pid, 0)
            for pid, cpu in self.end['backends'].items())
        return web, postgres

    def report(self):
        wall = self.end['wall'] - self.start['wall']
        busy = self.end['machine'][0] - self.start['machine'][0]
        total = self.end['machine'][1] - self.start['machine'][1]
        web = self.used(lambda group, _: group == self.web_group)
        postgres = sum(cpu - self.start['backends'].get(pid, 0)
            for pid, cpu in self.end['backends'].items())
        client = self.end['client'] - self.start['client']
        cores = os.cpu_count()
        other = busy / total * cores - (web + postgres + client) / wall
        return (f"CPU over the run, in cores of {cores}: web workers "
            f"{web / wall:.2f}, PostgreSQL on {self.database} "
            f"{postgres / wall:.2f}, this "
            f"client {client / wall:.2f} ({client:.1f} s), other processes "
            f"{max(other, 0):.2f}; machine {busy / total * 100:.0f} % busy")


class PostgresLog:
    """The errors PostgreSQL logged for the database during a run:
    serialisation failures and deadlocks that trytond retried are lock
    contention that the agents do not see"""
    PATH = pathlib.Path(os.environ.get(
            'PG_LOG', '/var/log/postgresql/postgresql-15-main.log'))

    def __init__(self, database):
        self.marker = f'@{database} ERROR:'

    def __enter__(self):
        try:
            self.offset = self.PATH.stat().st_size
        except OSError:
            self.offset = None
        return self

    def __exit__(self, *exc):
        self.errors = collections.Counter()
        if self.offset is None:
            return
        with self.PATH.open('rb') as log:
            log.seek(self.offset)
            text = log.read().decode(errors='replace')
        for line in text.splitlines():
            if self.marker in line:
                self.errors[line.split(self.marker, 1)[1].strip()[:90]] += 1

    def report(self):
        if self.offset is None:
            return f"PostgreSQL log {self.PATH} not readable"
        return (f"PostgreSQL errors (retried by trytond, not seen by "
            f"agents): {sum(self.errors.values())}" + ''.join(
                f"\n    {count} x {message}"
                for message, count in self.errors.most_common(3)))


# The agents ------------------------------------------------------------------

class RpcError(Exception):
    pass


class Stop(Exception):
    "The run is over"


def encode_date(date):
    return {'__class__': 'date', 'year': date.year, 'month': date.month,
        'day': date.day}


class Session:
    """One agent's JSON-RPC session over one http.client connection, which
    reconnects when gunicorn's sync workers close it after a response"""

    def __init__(self, port, database):
        self.connection = http.client.HTTPConnection(
            '127.0.0.1', port, timeout=120)
        self.path = f'/{database}/rpc/'
        self.authorization = None

    def call(self, method, params):
        body = json.dumps({'id': 0, 'method': method, 'params': params})
        # as the browser running sao asks: without it, trytond streams
        # every answer over 1,400 characters one JSON token a write
        headers = {'Content-Type': 'application/json',
            'Accept-Encoding': 'gzip'}
        if self.authorization:
            headers['Authorization'] = self.authorization
        try:
            self.connection.request('POST', self.path, body, headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exception:
            self.connection.close()
            raise RpcError(
                f"{type(exception).__name__}: {exception}") from exception
        if response.status != 200:
            raise RpcError(f"HTTP {response.status}: {data[:200]!r}")
        if response.getheader('Content-Encoding') == 'gzip':
            data = gzip.decompress(data)
        answer = json.loads(data)
        if answer.get('error'):
            raise RpcError(json.dumps(answer['error'],
                    ensure_ascii=False)[:300])
        return answer['result']

    def login(self, login, password):
        user_id, session = self.call('common.db.login',
            [login, {'password': password}, 'fr'])[:2]
        self.authorization = 'Session ' + base64.b64encode(
            f'{login}:{user_id}:{session}'.encode()).decode()


class SaoForm:
    """A form view as sao loads it: fields_view_get (cached by sao for the
    session, so called once and not recorded) and the fields sao reads
    for a record of the form (Sao.Record.load('*') in tryton-sao 8.0):
    every field of the view, the rec_name of the many2one, the :string of
    the eager selections, the sub-fields of the x2many shown with their
    own view (read in the same call, up to Sao.config.display_size
    records), then rec_name, _timestamp, _write and _delete"""
    DISPLAY_SIZE = 20

    def __init__(self, session, model, view_id, context):
        self.session = session
        self.model = model
        view = session.call(f'model.{model}.fields_view_get',
            [view_id, 'form', context])
        self.fields, self.related = [], False
        # one lazy field makes the whole read lazy, with the x2many's
        # sub-fields
        self.lazy = any(f.get('loading', 'eager') == 'lazy'
            for f in view['fields'].values())
        for name, field in view['fields'].items():
            self.fields.append(name)
            self.fields += self.sub_fields(name, field, top=True)
        if 'rec_name' not in view['fields']:
            self.fields.append('rec_name')
        self.fields += ['_timestamp', '_write', '_delete']

    def sub_fields(self, prefix, field, top=False):
        type_ = field['type']
        if type_ in {'many2one', 'one2one', 'reference'}:
            return [f'{prefix}.rec_name']
        if type_ in {'selection', 'multiselection'}:
            eager = field.get('loading', 'lazy') == 'eager'
            return [f'{prefix}:string'] if eager or not top else []
        if (type_ in {'one2many', 'many2many'}
                and (not top or self.lazy)
                and field.get('visible') and field.get('views')):
            view, = field['views'].values()
            names = []
            for name, sub in (view.get('fields') or {}).items():
                names.append(f'{prefix}.{name}')
                names += self.sub_fields(f'{prefix}.{name}', sub)
            names += [f'{prefix}._timestamp', f'{prefix}._write',
                f'{prefix}._delete']
            self.related = True
            return names
        return []

    def context(self, context):
        if self.related:
            return {**context, 'related_read_limit': self.DISPLAY_SIZE}
        return context

    def read(self, id_, context):
        "The first read when the tab opens (once per session)"
        return self.session.call(f'model.{self.model}.read',
            [[id_], self.fields, self.context(context)])[0]


class Recorder:
    "Every call: (operation, start, duration, error message or None)"

    def __init__(self):
        self.calls = []

    def add(self, operation, start, duration, error=None):
        self.calls.append((operation, start, duration, error))


class Agent:
    "One agent at its counter, serving visitor after visitor"

    def __init__(self, spec, session, citizens, recorder, think, rng,
            visit='desk'):
        self.ACTIONS = {'desk': self.DESK_ACTIONS,
            'desk-tab': self.DESK_TAB_ACTIONS,
            'generic': self.GENERIC_ACTIONS}[visit]
        self.visit_kind = visit
        self.unfinished = False
        self.visits = 0
        self.spec = spec
        self.session = session
        self.citizens = citizens
        self.recorder = recorder
        self.think = think
        self.rng = rng
        self.context = {}
        self.deadline = math.inf

    def rpc(self, operation, method, *args, context=None):
        if time.monotonic() >= self.deadline:
            raise Stop
        start = time.perf_counter()
        try:
            result = self.session.call(method,
                [*args, self.context if context is None else context])
        except RpcError as error:
            self.recorder.add(operation, start,
                time.perf_counter() - start, str(error))
            raise
        self.recorder.add(operation, start, time.perf_counter() - start)
        return result

    def pause(self):
        "A person reads the screen, types, talks to the citizen"
        low, high = self.think
        if high:
            delay = min(self.rng.uniform(low, high),
                self.deadline - time.monotonic())
            if delay > 0:
                time.sleep(delay)
        if time.monotonic() >= self.deadline:
            raise Stop

    def start_session(self):
        "Log in and load the preferences, as sao does"
        start = time.perf_counter()
        try:
            self.session.login(self.spec['login'], AGENT_PASSWORD)
            self.context = self.session.call(
                'model.res.user.get_preferences', [True, {}])
        except RpcError as error:
            self.recorder.add('login', start, time.perf_counter() - start,
                str(error))
            raise
        self.recorder.add('login', start, time.perf_counter() - start)

    # One visitor, action by action; the agent pauses after each action.
    # Generic: the records' own calls (create, read, write, buttons), one
    # to three per action, 17 per visit. Desk: sao's calls on the desk
    # form, the citizen served without leaving it, 10 per visit (two of
    # its seven actions are ticks and choices in the form, without a
    # call). Desk-tab: sao's calls on the desk form and on the case's tab,
    # 19 per visit.
    GENERIC_ACTIONS = ['take_ticket', 'call_next', 'find_citizen',
        'open_case', 'tick_documents', 'submit', 'collect', 'close_ticket',
        'read_cases', 'read_tickets']
    DESK_ACTIONS = ['take_ticket', 'desk_next', 'find_by_nin',
        'tick_on_desk', 'pick_payment', 'desk_serve', 'read_a_list']
    DESK_TAB_ACTIONS = ['take_ticket', 'desk_call_next', 'find_by_nin',
        'desk_open_case', 'tick_and_submit', 'pay_and_collect', 'desk_finish',
        'read_a_list']

    def prime(self):
        """Before the run, not recorded: WARMUP_VISITS whole visits (the
        server's caches per user are warm, as after an hour of work), then
        the actions of the visit before a random starting point. Every
        agent starts the run in the middle of a visit, so that every action
        is measured even in a run shorter than a visit."""
        self.start_index = self.rng.randrange(len(self.ACTIONS))
        self.visit = {}
        recorder, self.recorder = self.recorder, Recorder()
        try:
            if self.visit_kind != 'generic':
                self.open_desk()
            for _ in range(WARMUP_VISITS):
                visit = {}
                for name in self.ACTIONS:
                    getattr(self, name)(visit)
            for name in self.ACTIONS[:self.start_index]:
                getattr(self, name)(self.visit)
        finally:
            self.recorder = recorder

    def run(self, deadline):
        """Serve visitors until deadline, from the starting point of
        prime(). An action needing a case or a ticket that this visit has
        not got is skipped. After an error the agent pauses and starts
        again with the next visitor."""
        self.deadline = deadline
        index, visit = self.start_index, self.visit
        while True:
            if index % len(self.ACTIONS) == 0:
                visit = {}
            action = getattr(self, self.ACTIONS[index % len(self.ACTIONS)])
            index += 1
            try:
                if action(visit) is not False:
                    self.pause()
            except Stop:
                return
            except Exception as error:
                # the desk may still hold the visitor's ticket
                self.unfinished = True
                if not isinstance(error, RpcError):
                    # an answer of an unexpected shape: a failure too
                    self.recorder.add('client', time.perf_counter(), 0,
                        f"{type(error).__name__}: {error}")
                index += -index % len(self.ACTIONS)
                try:
                    self.pause()
                except Stop:
                    return

    # The desk visit: sao's calls on the desk form (case.desk) and on the
    # case's tab opened from it. Clicking a button of a saved record is
    # the button's call, then a reload of the record with the fields of
    # the form (the read sao makes: SaoForm.fields); a field edited before
    # is written first (record.save). fields_view_get and view_toolbar_get
    # are cached by sao for the session: they are called once per agent,
    # not recorded.

    def open_desk(self):
        """The menu "My Counter" as sao runs it: the wizard case.desk.open
        returns the desk's form, whose view is loaded and record read"""
        call = self.session.call
        session_id, _, _ = call('wizard.case.desk.open.create', [{}])
        result = call('wizard.case.desk.open.execute',
            [session_id, {}, 'start', self.context])
        call('wizard.case.desk.open.delete', [session_id, self.context])
        (action, data), = result['actions']
        self.desk = data['res_id'][0]
        self.desk_form = SaoForm(self.session, 'case.desk',
            action['views'][0][0], self.context)
        self.case_form = None
        self.serving = self.desk_form.read(self.desk, self.context)['ticket']

    def desk_button(self, button, operation):
        """A button of the desk form: the button's call, then the reload;
        return the desk as read and what the button returned"""
        result = self.rpc(operation, f'model.case.desk.{button}',
            [self.desk])
        desk, = self.rpc('desk.read', 'model.case.desk.read', [self.desk],
            self.desk_form.fields,
            context=self.desk_form.context(self.context))
        return desk, result

    def desk_next(self, visit):
        """The agent clicks Finish and Call Next (the citizen before served)
        or Call Next (nobody at the desk): the button, the reload"""
        if self.serving:
            desk, _ = self.desk_button(
                'finish_call_next', 'desk.finish_call_next')
        else:
            desk, _ = self.desk_button('call_next', 'desk.call_next')
        self.serving = desk['ticket']
        if desk['ticket']:
            if not desk['procedure']:
                raise LookupError(f"desk {self.desk}: no procedure proposed")
            visit['ticket'] = desk['ticket']
            visit['desk_documents'] = desk['documents']

    def tick_on_desk(self, visit):
        """The agent ticks the documents the citizen brought in the desk's
        checklist: in the form, no call"""
        if 'desk_documents' not in visit:
            return False
        visit['ticked'] = list(visit['desk_documents'])

    def pick_payment(self, visit):
        "The agent picks cash as the payment method: in the form, no call"
        if 'ticked' not in visit:
            return False
        visit['payment_method'] = 'cash'

    def desk_serve(self, visit):
        """The agent clicks Open Case: sao saves the desk (the citizen
        picked, the documents ticked, the payment method), the button
        opens, submits and collects the case, then the desk's reload"""
        if 'citizen' not in visit or 'payment_method' not in visit:
            return False
        self.rpc('desk.save', 'model.case.desk.write', [self.desk], {
                'citizen': visit['citizen'],
                'documents': [['add', visit['ticked']],
                    ['write', visit['ticked'], {'provided': True}]],
                'payment_method': visit['payment_method'],
                })
        action = self.rpc('desk.open_case', 'model.case.desk.open_case',
            [self.desk])
        desk, = self.rpc('desk.read', 'model.case.desk.read', [self.desk],
            self.desk_form.fields,
            context=self.desk_form.context(self.context))
        if action or not desk['case']:
            raise ValueError(
                f"desk {self.desk}: case not submitted: {desk['message']}")
        visit['case'] = desk['case']

    def desk_call_next(self, visit):
        "The agent clicks Call Next on the desk form"
        if self.unfinished:
            # a visit broken by an error: its ticket is finished first
            self.unfinished = False
            try:
                self.desk_button('finish', 'desk.finish')
            except RpcError:
                pass
        desk, _ = self.desk_button('call_next', 'desk.call_next')
        if desk['ticket']:
            visit['ticket'] = desk['ticket']
            visit['procedure'] = desk['procedure']

    def find_by_nin(self, visit):
        """The agent types the NIN of the citizen's identity card in the
        desk's citizen field: sao's completion (autocomplete with the
        field's domain and Sao.config.limit), then the name of the citizen
        picked read (as sao does, seen in Chromium)"""
        citizen, nin = self.rng.choice(self.spec['nins'])
        typed = ' '.join([nin[0], nin[1:4], nin[4:8], nin[8:]])
        found = self.rpc('party.search', 'model.party.party.autocomplete',
            typed, [('partner_kind', '=', None)], SAO_LIMIT, None)
        if citizen not in {r['id'] for r in found}:
            raise LookupError(f"citizen {nin} not found: {found[:3]}")
        self.rpc('party.read', 'model.party.party.read', [citizen],
            ['rec_name'])
        visit['citizen'] = citizen

    def desk_open_case(self, visit):
        """The agent clicks Open Case: the citizen picked (and the
        procedure when none was proposed) saved, the button, whose action
        opens the case's tab (the case read, its resources), and the
        desk's reload"""
        if 'ticket' not in visit or 'citizen' not in visit:
            return False
        values = {'citizen': visit['citizen']}
        if not visit.get('procedure'):
            values['procedure'] = self.spec['procedure']
        self.rpc('desk.save', 'model.case.desk.write', [self.desk], values)
        action = self.rpc('desk.open_case', 'model.case.desk.open_case',
            [self.desk])
        case_id, = action['res_id']
        if self.case_form is None:
            self.case_form = SaoForm(self.session, 'case.case',
                action['views'][0][0], self.context)
        case = self.read_case(case_id, 'case.read')
        self.rpc('case.resources', 'model.case.case.resources', case_id)
        self.rpc('desk.read', 'model.case.desk.read', [self.desk],
            self.desk_form.fields,
            context=self.desk_form.context(self.context))
        visit['case'] = case_id
        visit['documents'] = case['documents']

    def read_case(self, case_id, operation):
        case, = self.rpc(operation, 'model.case.case.read', [case_id],
            self.case_form.fields,
            context=self.case_form.context(self.context))
        return case

    def tick_and_submit(self, visit):
        """On the case's tab the agent ticks the documents brought in the
        checklist and clicks Submit: the case saved with its documents
        (sao's one2many value: add and write), the button, the reload"""
        if not visit.get('documents'):
            return False
        case_id, documents = visit['case'], visit['documents']
        write = ['write']
        for document in documents:
            write += [[document], {'provided': True}]
        self.rpc('case.tick', 'model.case.case.write', [case_id],
            {'documents': [['add', documents], write]})
        self.rpc('case.submit', 'model.case.case.submit', [case_id])
        case = self.read_case(case_id, 'case.read')
        if case['state'] != 'submitted':
            raise ValueError(f"case {case['number']} not submitted")

    def pay_and_collect(self, visit):
        """The agent picks cash as the payment method on the Fees page
        and clicks Collect: the case saved, the button, the reload"""
        if not visit.get('documents'):
            return False
        case_id = visit['case']
        self.rpc('case.pay', 'model.case.case.write', [case_id],
            {'payment_method': 'cash'})
        self.rpc('case.collect', 'model.case.case.collect', [case_id])
        case = self.read_case(case_id, 'case.read')
        if not case['paid_at']:
            raise ValueError(f"case {case['number']} not paid")

    def desk_finish(self, visit):
        "Back on the desk's tab, the agent clicks Finish"
        if 'ticket' not in visit:
            return False
        self.desk_button('finish', 'desk.finish')

    def read_a_list(self, visit):
        "One of the two lists, in turn: the site's open cases, the tickets"
        self.visits += 1
        if self.visits % 2:
            self.read_cases(visit)
        else:
            self.read_tickets(visit)

    def take_ticket(self, visit):
        "The visitor takes a ticket for the sector of this counter"
        self.rpc('ticket.take', 'model.case.ticket.create',
            [{'site': self.spec['site'], 'sector': self.spec['sector']}])

    def call_next(self, visit):
        "The agent calls the next ticket and looks at who it is"
        counter = self.spec['counter']
        self.rpc('counter.call_next', 'model.network.counter.call_next',
            [counter])
        called = self.rpc('ticket.current', 'model.case.ticket.search_read',
            [('counter', '=', counter), ('state', '=', 'called'),
                ('date', '=', encode_date(dt.date.today()))],
            0, 1, [('called_at', 'DESC')], ['number', 'arrived_at'])
        if called:
            visit['ticket'] = called[0]['id']

    def find_citizen(self, visit):
        found = self.rpc('party.search', 'model.party.party.search_read',
            [('rec_name', 'ilike', f'%{self.rng.choice(SURNAMES)}%')],
            0, 10, None, ['rec_name', 'national_id'])
        visit['citizen'] = (self.rng.choice(found)['id'] if found
            else self.rng.choice(self.citizens))

    def open_case(self, visit):
        "Saves the new case; the form shows its checklist"
        rng = self.rng
        case_id, = self.rpc('case.create', 'model.case.case.create', [{
                    'site': self.spec['site'],
                    'citizen': visit.get('citizen')
                    or rng.choice(self.citizens),
                    'procedure': self.spec['procedure'],
                    'channel': 'counter',
                    'phone': f'77 {rng.randint(100, 999)} '
                    f'{rng.randint(10, 99)} {rng.randint(10, 99)}',
                    }])
        visit['case'] = case_id
        case, = self.rpc('case.read', 'model.case.case.read', [case_id],
            ['number', 'state', 'due_date', 'documents', 'citizen.rec_name',
                'procedure.rec_name', 'total_fee', 'sla_status'])
        documents = self.rpc('document.read', 'model.case.document.read',
            case['documents'], ['sequence', 'name', 'mandatory', 'provided'])
        visit['documents'] = [d['id'] for d in documents]

    def tick_documents(self, visit):
        "Ticks the documents the citizen brought"
        if 'documents' not in visit:
            return False
        self.rpc('case.tick', 'model.case.case.write', [visit['case']], {
                'documents': [('write', visit['documents'],
                        {'provided': True})]})

    def submit(self, visit):
        if 'documents' not in visit:
            return False
        self.rpc('case.submit', 'model.case.case.submit', [visit['case']])

    def collect(self, visit):
        "Collects the fees in cash"
        if 'documents' not in visit:
            return False
        self.rpc('case.pay', 'model.case.case.write', [visit['case']],
            {'payment_method': 'cash'})
        self.rpc('case.collect', 'model.case.case.collect', [visit['case']])

    def close_ticket(self, visit):
        "Closes the ticket with the case it opened"
        if 'ticket' not in visit or 'case' not in visit:
            return False
        self.rpc('ticket.close', 'model.case.ticket.write', [visit['ticket']],
            {'outcome': 'case', 'case': visit['case']})
        self.rpc('ticket.done', 'model.case.ticket.done', [visit['ticket']])

    def read_cases(self, visit):
        "The open cases of the site (the tab that lists them)"
        self.read_list('cases', 'case.case', OPEN_TAB, CASE_LIST_FIELDS)

    def read_tickets(self, visit):
        self.read_list('tickets', 'case.ticket',
            [('date', '=', encode_date(dt.date.today()))],
            TICKET_LIST_FIELDS)

    def read_list(self, name, model, domain, fields):
        "A list view of sao: search up to 1,000 ids, read the first batch"
        ids = self.rpc(f'list.{name}.search', f'model.{model}.search',
            domain, 0, SAO_LIMIT, None)
        if ids:
            self.rpc(f'list.{name}.read', f'model.{model}.read',
                ids[:SAO_LIMIT // len(fields)], fields)


def log_in(port, database, specs, citizens, think, seed, visit):
    """Every agent logs in and loads its preferences, all at once as at
    opening time (timed: the login phase), then goes through its visit up
    to its starting point (not timed); return the agents, the login
    recorder and the login phase's seconds"""
    logins = Recorder()
    agents = [Agent(spec, Session(port, database), citizens, logins, think,
            random.Random(seed + i), visit)
        for i, spec in enumerate(specs)]
    errors = []

    def run_all(step):
        def target(agent):
            try:
                step(agent)
            except (RpcError, LookupError, ValueError) as error:
                errors.append(str(error))
        threads = [threading.Thread(target=target, args=(agent,),
                daemon=True) for agent in agents]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise RuntimeError(
                f"{len(errors)} agents failed to start: {errors[0]}")
    start = time.perf_counter()
    run_all(Agent.start_session)
    login_phase = time.perf_counter() - start
    run_all(Agent.prime)
    return agents, logins, login_phase


def work(agents, duration):
    "Let the agents work for duration seconds; return the recorder, start"
    recorder = Recorder()
    for agent in agents:
        agent.recorder = recorder
    start = time.monotonic()
    deadline = start + duration

    def serve(agent):
        # agents do not start in step: spread the first action
        time.sleep(agent.rng.uniform(0, agent.think[1]))
        agent.run(deadline)
    threads = [threading.Thread(target=serve, args=(agent,), daemon=True)
        for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return recorder, start


def operation_costs(args, spec, citizens, duration, logs):
    """Where a visit's CPU goes: one agent alone on one web worker, without
    pause, for duration seconds. Its calls follow one another, so the CPU
    that the worker and the database's backends use during a call is that
    call's (/proc counts 10 ms ticks: exact on average over hundreds of
    calls). Return {operation: [calls, web seconds, PostgreSQL seconds]}:
    PostgreSQL is every backend of the database (the queue worker's and
    cron's too, idle but for the tasks the calls queue); the queue
    worker's own CPU is not counted"""
    reset(args.database, args.every)
    costs = collections.defaultdict(lambda: [0, 0.0, 0.0])
    with Production(args.database, 1, logs) as production:
        (agent,), _, _ = log_in(production.port, args.database, [spec],
            citizens, (0, 0), seed=0, visit=args.visit)
        meter = CpuMeter(production.processes['web'].pid, args.database)
        web = production.web_pids()
        backends = list(meter.backends(all_stats()))

        def cpu(pids):
            return sum(stat[2] for stat in map(proc_stat, pids) if stat)
        call = agent.rpc

        def measured(operation, *rest, **kwargs):
            before = cpu(web), cpu(backends)
            try:
                return call(operation, *rest, **kwargs)
            finally:
                cost = costs[operation]
                cost[0] += 1
                cost[1] += cpu(web) - before[0]
                cost[2] += cpu(backends) - before[1]
        agent.rpc = measured
        work([agent], duration)
    return costs


def print_costs(costs, served):
    web_total = sum(c[1] for c in costs.values()) or 1
    print(f"\n== where the CPU goes: one agent alone, one web worker, no "
        f"pause\n  {'operation':<22}{'calls':>7}{'web ms':>9}"
        f"{'PostgreSQL ms':>15}{'share of web':>14}")
    for operation, (count, web, postgres) in sorted(
            costs.items(), key=lambda item: -item[1][1]):
        print(f"  {operation:<22}{count:>7}{web / count * 1000:>9.1f}"
            f"{postgres / count * 1000:>15.1f}{web / web_total:>14.0%}")
    calls = sum(c[0] for c in costs.values())
    postgres = sum(c[2] for c in costs.values())
    if served:
        print(f"  a served citizen: {calls / served:.1f} calls, "
            f"{web_total / served * 1000:.0f} ms of web CPU and "
            f"{postgres / served * 1000:.0f} ms of PostgreSQL")


# Figures ---------------------------------------------------------------------

# the call that closes a citizen's visit, in each kind of visit
SERVED_OPERATIONS = {'desk.finish', 'desk.finish_call_next', 'ticket.done'}


def percentile(sorted_values, share):
    "Nearest-rank percentile"
    index = max(0, math.ceil(share * len(sorted_values)) - 1)
    return sorted_values[index]


def summarise(recorder, start, duration):
    """Per operation: count, ops/s, median, p95, max, errors, first error
    messages; calls that ended after the deadline are not counted in the
    throughput"""
    by_operation = collections.OrderedDict()
    for operation, begin, seconds, error in recorder.calls:
        by_operation.setdefault(operation, []).append((begin, seconds, error))
    end = start + duration
    perf_offset = time.perf_counter() - time.monotonic()
    rows = []
    order = {name: i for i, name in enumerate(OPERATIONS)}
    for operation, calls in sorted(by_operation.items(),
            key=lambda item: order.get(item[0], len(order))):
        durations = sorted(s for _, s, _ in calls)
        errors = [e for _, _, e in calls if e]
        done = sum(1 for b, s, e in calls
            if not e and b + s - perf_offset <= end)
        rows.append({
                'operation': operation, 'count': len(calls),
                'rate': done / duration,
                'median': statistics.median(durations),
                'p95': percentile(durations, .95),
                'max': durations[-1], 'errors': len(errors),
                'messages': list(dict.fromkeys(errors))[:3],
                })
    return rows


def print_table(rows, title):
    print(title)
    print(f"  {'operation':<22}{'count':>7}{'ops/s':>8}{'median ms':>11}"
        f"{'p95 ms':>9}{'max ms':>9}{'errors':>8}")
    for row in rows:
        print(f"  {row['operation']:<22}{row['count']:>7}{row['rate']:>8.1f}"
            f"{row['median'] * 1000:>11.0f}{row['p95'] * 1000:>9.0f}"
            f"{row['max'] * 1000:>9.0f}{row['errors']:>8}")
    total = sum(r['rate'] for r in rows)
    print(f"  {'total':<22}{sum(r['count'] for r in rows):>7}{total:>8.1f}"
        f"{'':>29}{sum(r['errors'] for r in rows):>8}")
    for row in rows:
        for message in row['messages']:
            print(f"  error in {row['operation']}: {message}")
    return total


def log_errors(logs):
    "The error lines that gunicorn, the queue worker and cron logged"
    errors = []
    for log in sorted(logs.glob('*.log')):
        errors.extend(f'{log.name}: {line[:200]}'
            for line in log.read_text(errors='replace').splitlines()
            if 'ERROR' in line or 'Traceback' in line)
        log.unlink()
    return errors


def loadavg():
    return ' '.join(f'{v:.2f}' for v in os.getloadavg())


def measure(args, workers, specs, citizens, think, duration, label, logs):
    "One run of specs agents against gunicorn with workers processes"
    reset(args.database, args.every)
    with Cores() as cores:
        with Production(args.database, workers, logs) as production:
            agents, logins, login_phase = log_in(production.port,
                args.database, specs, citizens, think, seed=workers,
                visit=args.visit)
            before = loadavg()
            with CpuMeter(production.processes['web'].pid,
                    args.database) as meter, \
                    PostgresLog(args.database) as pg_log:
                recorder, start = work(agents, duration)
            after = loadavg()
    server_errors = log_errors(logs)
    login_times = sorted(c[2] for c in logins.calls)
    rows = summarise(recorder, start, duration)
    title = (f"\n== {label}: {workers} WSGI process"
        f"{'es' if workers > 1 else ''}, {len(specs)} agents, "
        f"{args.visit} visit, pauses "
        + (f"uniform {think[0]:g}-{think[1]:g} s" if think[1] else "none")
        + f", {duration:g} s")
    total = print_table(rows, title)
    calls = sum(1 for c in recorder.calls if not c[3] and c[0] != 'client')
    served = sum(1 for c in recorder.calls
        if not c[3] and c[0] in SERVED_OPERATIONS)
    web, postgres = meter.figures()
    print(f"  login phase: {len(specs)} logins at once (password checked "
        f"and preferences read) in {login_phase:.1f} s (limit 60 s); "
        f"each: median {statistics.median(login_times) * 1000:.0f} ms, "
        f"p95 {percentile(login_times, .95) * 1000:.0f} ms")
    print(f"  served citizens: {served}, calls: {calls}, calls per served "
        f"citizen: {calls / served if served else float('inf'):.1f}")
    print(f"  CPU per call: web workers {web / calls * 1000:.1f} ms, "
        f"PostgreSQL {postgres / calls * 1000:.1f} ms "
        f"({(web + postgres) / max(served, 1) * 1000:.0f} ms of both per "
        "served citizen)" if calls else "  CPU per call: no call")
    print(f"  load average (1, 5, 15 min): {before} at start, {after} at end")
    print(f"  {meter.report()}")
    print(f"  {pg_log.report()}")
    print(f"  whole run with set-up and logins, {cores}")
    print(f"  server logs: {len(server_errors)} error lines",
        *server_errors[:3], sep='\n    ')
    return {'total': total, 'rows': rows,
        'p95': max(r['p95'] for r in rows),
        'errors': sum(r['errors'] for r in rows) + len(server_errors),
        'load': (before, after), 'calls': calls, 'served': served,
        'cpu': web + postgres, 'login_phase': login_phase}


def spread(specs, count):
    "count agents taken at regular steps over the sites"
    step = max(1, len(specs) // count)
    return specs[::step][:count]


def parse_think(text):
    low, _, high = text.partition('-')
    return float(low), float(high or low)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--database',
        default=os.environ.get('LOAD_DATABASE', 'bench_load'))
    parser.add_argument('--workers',
        default=os.environ.get('LOAD_WORKERS', '2'))
    parser.add_argument('--duration', type=float,
        default=float(os.environ.get('LOAD_DURATION', 60)))
    parser.add_argument('--think',
        default=os.environ.get('LOAD_THINK', '1-3'),
        help="pause between an agent's actions, uniform LOW-HIGH seconds: "
        "1-3 the busy morning, 5-15 an ordinary day")
    parser.add_argument('--visit', choices=['desk', 'desk-tab', 'generic'],
        default=os.environ.get('LOAD_VISIT', 'desk'),
        help="desk: sao's calls on the desk form, the citizen served "
        "without leaving it (10 a visit); desk-tab: the desk's buttons and "
        "the case's tab (19 a visit); generic: the records' own calls (17 "
        "a visit)")
    parser.add_argument('--agents', type=int,
        help="fewer agents than the 184, spread over the sites (for trials)")
    parser.add_argument('--no-growth', dest='growth', action='store_false',
        default=os.environ.get('LOAD_GROWTH', '1') != '0',
        help="skip the run with half the agents")
    parser.add_argument('--saturation-clients', type=int, default=16)
    parser.add_argument('--saturation-duration', type=float,
        default=float(os.environ.get('LOAD_SATURATION_DURATION', 0)))
    parser.add_argument('--costs-duration', type=float,
        default=float(os.environ.get('LOAD_COSTS_DURATION', 0)),
        help="seconds of one agent alone, to print the CPU of each "
        "operation (0: not run)")
    args = parser.parse_args()
    if __debug__:
        print("warning: run with python -O (Tryton's asserts cost n²)")
    print(machine())
    workers_list = [int(w) for w in args.workers.split(',')]
    think = parse_think(args.think)

    # SIGTERM stops like Ctrl-C: the finally clauses stop gunicorn
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    ensure_database(args.database, ADMIN_PASSWORD)
    ensure_trigrams(args.database)
    every, citizens = prepare(args.database)
    args.every = every
    load_history(args.database, every, citizens)
    parties = load_citizens(args.database)
    nins = site_nins(args.database)
    for spec in every:
        spec['nins'] = nins[spec['site']]
    specs = spread(every, args.agents or len(every))
    halves = spread(every, max(1, len(specs) // 2))
    saturating = spread(every, args.saturation_clients)
    print(f"{parties} parties; {len(specs)} agents at "
        f"{len({s['site'] for s in specs})} sites; {args.visit} visit: "
        + {'desk': "sao's calls on the desk form (buttons and reloads),"
            " the citizen served without leaving it",
            'desk-tab': "sao's calls on the desk form and the case's tab",
            'generic': "the records' own calls, one to three per action",
            }[args.visit]
        + f"; between actions an agent pauses uniform {think[0]:g}-"
        f"{think[1]:g} s")
    print(THINK_NOTE)
    print("client: one thread and one http.client connection per agent, "
        f"in this process, on the same {os.cpu_count()} cores as the server")

    results = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix='load-agents-') as logs:
        logs = pathlib.Path(logs)
        try:
            for workers in workers_list:
                if args.growth:
                    results[workers, 'half'] = measure(args, workers,
                        halves, citizens, think, args.duration,
                        "half the agents", logs)
                results[workers, 'agents'] = measure(args, workers, specs,
                    citizens, think, args.duration, "agents at counters",
                    logs)
            if args.saturation_duration:
                for workers in workers_list:
                    results[workers, 'saturation'] = measure(args, workers,
                        saturating, citizens, (0, 0),
                        args.saturation_duration, "saturation", logs)
            if args.costs_duration:
                costs = operation_costs(args, specs[0], citizens,
                    args.costs_duration, logs)
        finally:
            reset(args.database, every)

    if args.costs_duration:
        print_costs(costs, sum(costs[name][0]
                for name in SERVED_OPERATIONS if name in costs))
    print("\n== Summary")
    print(f"  {'workers':>7}{'calls/s':>9}{'calls/citizen':>15}"
        f"{'CPU ms/call':>13}{'worst p95 ms':>14}{'errors':>8}"
        f"{'logins s':>10}  verdict")
    failed = False
    for workers in workers_list:
        result = results[workers, 'agents']
        ok = (result['errors'] == 0 and result['login_phase'] < 60
            and all(r['p95'] < TARGET_P95 for r in result['rows']))
        failed |= not ok
        calls = result['calls'] or 1
        print(f"  {workers:>7}{result['total']:>9.1f}"
            f"{calls / (result['served'] or 1):>15.1f}"
            f"{result['cpu'] / calls * 1000:>13.1f}"
            f"{result['p95'] * 1000:>14.0f}{result['errors']:>8}"
            f"{result['login_phase']:>10.1f}  {'PASS' if ok else 'FAIL'}")
        if args.saturation_duration:
            print(f"  saturation ({len(saturating)} clients, no pause): "
                f"{results[workers, 'saturation']['total']:.1f} calls/s")
        if args.growth:
            half = results[workers, 'half']
            # the server's CPU (web workers and PostgreSQL) for the same
            # time with half then all the agents: linear is 2.0
            growth(f"server CPU seconds, {len(halves)} then {len(specs)} "
                f"agents, {workers} workers", half['cpu'], result['cpu'])
            print(f"  calls served full/half: {result['calls']} / "
                f"{half['calls']} = "
                f"{result['calls'] / max(half['calls'], 1):.2f}")
    print(f"targets: no error, p95 < {TARGET_P95 * 1000:.0f} ms for every "
        "operation, the login phase under 60 s: "
        + ('FAIL' if failed else 'PASS'))
    print(f"{machine()}; measured in {time.perf_counter() - started:.0f} s")
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
