"""Benchmark: the waiting room's public pages at the network's size (issue
16), against gunicorn and PostgreSQL as in production.

    .venv/bin/python -O benchmarks/waiting_room.py [--duration 60]
        [--workers 2] [--database bench_waiting] [--no-growth]

46 sites, each with a call screen asking for its queue's state every second
(/<db>/ecran/<secret>/etat), a kiosk (its page every 60 s, a ticket
taken every 30 s: the form, then the printed ticket) and a citizen looking
for an appointment (the days with free slots of a procedure, then one
day's slots, every 60 s: /<db>/rdv/<site code>), and 200 visitors
whose phones reload their ticket's page (/<db>/ticket/<secret>) every 20 s;
at the same time one agent a site (46) calls the next ticket at its desk,
reads it and finishes it through JSON-RPC, pausing 1-3 s between calls.

Runs, --duration seconds each (default 60): the agents alone, then the
agents with the public pages; then the public pages alone at half the size
(23 sites, 100 visitors) and at full size, for their CPU per request and
the growth check (the server's CPU seconds at full size over half size:
2.0 when a request costs the same however many come, limit 2.2).

Prints, per kind of request: count, throughput, median, 95th percentile,
maximum and errors; the agents' 95th percentile alone and with the pages
(their ratio); the web workers' and PostgreSQL's CPU milliseconds per
public request; the machine, its load and the cores used. Targets: the
public pages' p95 under 100 ms, no error, and the agents' p95 with the
pages within 20 % of without (at least 10 ms of noise allowed); the exit
status is 1 when one is missed.

The database (default bench_waiting, or --database) is created once with
service_case and reused: its sites' counters, the agents (agent.<site>.<k>,
those of benchmarks/load_agents.py) and the screens are added when missing.
"""
import argparse
import http.client
import os
import pathlib
import random
import re
import sys
import threading
import time
import urllib.parse

from load_agents import (
    ADMIN_PASSWORD,
    AGENT_PASSWORD,
    CpuMeter,
    Production,
    RpcError,
    Session,
    percentile,
    prepare,
)

from bench_tools import ensure_database, machine

SITES = 46
VISITORS = 200
DISPLAY_PERIOD = 1.0
KIOSK_PAGE_PERIOD = 60.0
KIOSK_TICKET_PERIOD = 30.0
FOLLOW_PERIOD = 20.0
BOOKING_PERIOD = 60.0
BOOKED_PROCEDURE = 'CJ-B3'
THINK = (1.0, 3.0)
TARGET_P95 = 0.100
# the agents' p95 with the pages within this ratio of without, or within
# NOISE seconds
AGENT_RATIO = 1.2
NOISE = 0.010
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def options():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--duration', type=float,
        default=float(os.environ.get('WAITING_DURATION', 60)))
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--database',
        default=os.environ.get('WAITING_DATABASE', 'bench_waiting'))
    parser.add_argument('--no-growth', dest='growth', action='store_false')
    return parser.parse_args()


def prepare_screens(database):
    """Number the counters, give every open site a display and a kiosk,
    open them to appointments; return [(site id, display secret, kiosk
    secret, Justice sector id, site code)]"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(database)
    with Transaction().start(database, 0) as transaction:
        Site = pool.get('network.site')
        Counter = pool.get('network.counter')
        Screen = pool.get('case.screen')
        Sector = pool.get('network.sector')
        justice, = Sector.search([('code', '=', 'J')])
        sites = Site.search([('state', '=', 'open')], order=[('code', 'ASC')])
        counters = Counter.search([('number', '=', None)],
            order=[('site', 'ASC'), ('id', 'ASC')])
        numbers = {}
        for counter in counters:
            numbers[counter.site.id] = numbers.get(counter.site.id, 0) + 1
            counter.number = numbers[counter.site.id]
        Counter.save(counters)
        Site.write([s for s in sites if not s.appointments],
            {'appointments': True})
        have = {(s.site.id, s.kind): s for s in Screen.search([])}
        Screen.create([{'site': site.id, 'kind': kind, 'name': kind}
                for site in sites for kind in ['display', 'kiosk']
                if (site.id, kind) not in have])
        screens = {(s.site.id, s.kind): s.token for s in Screen.search([])}
        transaction.commit()
        return [(site.id, screens[site.id, 'display'],
                screens[site.id, 'kiosk'], justice.id, site.code)
            for site in sites]


class Recorder:
    "The latencies and errors of each kind of request, thread-safe"

    def __init__(self):
        self.lock = threading.Lock()
        self.times = {}
        self.errors = {}

    def add(self, kind, seconds, error=None):
        with self.lock:
            if error:
                self.errors.setdefault(kind, []).append(error)
            else:
                self.times.setdefault(kind, []).append(seconds)


class Browser:
    "One device's HTTP connection, with the cookies a browser keeps"

    def __init__(self, port, recorder):
        self.port = port
        self.recorder = recorder
        self.connection = http.client.HTTPConnection(
            '127.0.0.1', port, timeout=60)
        self.cookie = None

    def request(self, kind, method, path, body=None):
        headers = {'Accept-Encoding': 'gzip'}
        if body is not None:
            headers['Content-Type'] = 'application/x-www-form-urlencoded'
            headers['Origin'] = f'http://127.0.0.1:{self.port}'
        if self.cookie:
            headers['Cookie'] = self.cookie
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body, headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exception:
            self.connection.close()
            self.recorder.add(kind, 0, f'{type(exception).__name__}')
            return None, None
        seconds = time.perf_counter() - started
        cookie = response.getheader('Set-Cookie')
        if cookie:
            self.cookie = cookie.split(';', 1)[0]
        if response.status >= 400:
            self.recorder.add(kind, 0, f'HTTP {response.status}')
        else:
            self.recorder.add(kind, seconds)
        return response, data


def run_loop(stop, first, period, step):
    "Call step at first, then every period seconds until stop"
    next_at = time.monotonic() + first
    while not stop.wait(max(0, next_at - time.monotonic())):
        step()
        next_at += period


def display(port, database, secret, recorder, stop, rng):
    browser = Browser(port, recorder)
    path = f'/{database}/ecran/{secret}/etat'
    run_loop(stop, rng.uniform(0, DISPLAY_PERIOD), DISPLAY_PERIOD,
        lambda: browser.request('display.state', 'GET', path))


def take_ticket(browser, database, secret, sector):
    "The kiosk's form, then the printed ticket; its follow-up secret"
    path = f'/{database}/borne/{secret}'
    _, page = browser.request('kiosk.page', 'GET', path)
    if not page:
        return None
    csrf = CSRF.search(page.decode()).group(1)
    body = urllib.parse.urlencode({'csrf': csrf, 'sector': sector})
    response, _ = browser.request('kiosk.take', 'POST', path, body)
    if response is None or response.status != 303:
        return None
    location = urllib.parse.urlsplit(response.getheader('Location')).path
    browser.request('kiosk.ticket', 'GET', location + '?imprimer=0')
    return location.rsplit('/', 1)[1]


def kiosk(port, database, secret, sector, recorder, stop, rng):
    browser = Browser(port, recorder)
    page = f'/{database}/borne/{secret}'
    threading.Thread(target=run_loop, daemon=True, args=(
            stop, rng.uniform(0, KIOSK_PAGE_PERIOD), KIOSK_PAGE_PERIOD,
            lambda: Browser(port, recorder).request(
                'kiosk.page', 'GET', page))).start()
    run_loop(stop, rng.uniform(0, KIOSK_TICKET_PERIOD), KIOSK_TICKET_PERIOD,
        lambda: take_ticket(browser, database, secret, sector))


def follower(port, database, secret, recorder, stop, rng):
    browser = Browser(port, recorder)
    path = f'/{database}/ticket/{secret}'
    run_loop(stop, rng.uniform(0, FOLLOW_PERIOD), FOLLOW_PERIOD,
        lambda: browser.request('visitor.ticket', 'GET', path))


def booker(port, database, code, recorder, stop, rng):
    """A citizen looking for an appointment: the days with free slots of
    the procedure, then the slots of the first day"""
    browser = Browser(port, recorder)
    path = f'/{database}/rdv/{code}?demarche={BOOKED_PROCEDURE}'

    def look():
        _, page = browser.request('booking.days', 'GET', path)
        day = re.search(r'jour=(\d{4}-\d{2}-\d{2})', (page or b'').decode())
        if day:
            browser.request('booking.slots', 'GET',
                f'{path}&jour={day.group(1)}')
    run_loop(stop, rng.uniform(0, BOOKING_PERIOD), BOOKING_PERIOD, look)


def log_in(port, database, agents):
    """The agents' JSON-RPC sessions, logged in before the runs (the
    password hash is not what is measured here)"""
    sessions = []
    for login, desk in agents:
        session = Session(port, database)
        session.login(login, AGENT_PASSWORD)
        context = session.call('model.res.user.get_preferences', [True, {}])
        sessions.append((session, desk, context))
    return sessions


def agent(session, desk, context, recorder, stop, rng):
    """An agent at the desk as a person works: call the next visitor, read
    the desk, finish the visit when a ticket was called (a desk with a
    ticket refuses to call another), and so on"""
    has_ticket = False
    # the desk is read first: a run may begin where the last left a visit
    step = 1
    while not stop.wait(rng.uniform(*THINK)):
        if has_ticket:
            kind, method, params = ('agent.finish', 'model.case.desk.finish',
                [[desk], context])
        elif step % 2 == 0:
            kind, method, params = ('agent.call_next',
                'model.case.desk.call_next', [[desk], context])
        else:
            kind, method, params = ('agent.read', 'model.case.desk.read',
                [[desk], ['ticket', 'message', 'counter'], context])
        step += 1
        started = time.perf_counter()
        try:
            result = session.call(method, params)
        except RpcError as error:
            recorder.add(kind, 0, str(error)[:120])
            continue
        recorder.add(kind, time.perf_counter() - started)
        if kind == 'agent.read':
            has_ticket = bool(result and result[0].get('ticket'))
        elif kind == 'agent.finish':
            has_ticket = False
            step = 0


def run(production, database, label, duration, screens, followers,
        agents, sites):
    "One run; return the Recorder and the CPU meter"
    recorder = Recorder()
    stop = threading.Event()
    rng = random.Random(label)
    threads = []
    port = production.port
    for _, display_secret, kiosk_secret, sector, code in screens[:sites]:
        threads.append(threading.Thread(target=display, args=(
                    port, database, display_secret, recorder, stop,
                    random.Random(rng.random()))))
        threads.append(threading.Thread(target=booker, args=(
                    port, database, code, recorder, stop,
                    random.Random(rng.random()))))
        threads.append(threading.Thread(target=kiosk, args=(
                    port, database, kiosk_secret, sector, recorder, stop,
                    random.Random(rng.random()))))
    for secret in followers:
        threads.append(threading.Thread(target=follower, args=(
                    port, database, secret, recorder, stop,
                    random.Random(rng.random()))))
    for session, desk, context in agents:
        threads.append(threading.Thread(target=agent, args=(
                    session, desk, context, recorder, stop,
                    random.Random(rng.random()))))
    meter = CpuMeter(os.getpgid(production.processes['web'].pid), database)
    load_before = os.getloadavg()[0]
    for thread in threads:
        thread.daemon = True
        thread.start()
    with meter:
        time.sleep(duration)
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
    report(label, recorder, duration, meter, load_before)
    return recorder, meter


def report(label, recorder, duration, meter, load_before):
    print(f"\n{label} ({duration:.0f} s; load average "
        f"{load_before:.2f} -> {os.getloadavg()[0]:.2f})")
    print(f"  {'request':<16} {'count':>6} {'per s':>6} {'median':>8} "
        f"{'p95':>8} {'max':>8} {'errors':>6}")
    for kind in sorted(set(recorder.times) | set(recorder.errors)):
        times = sorted(recorder.times.get(kind, []))
        errors = recorder.errors.get(kind, [])
        if times:
            print(f"  {kind:<16} {len(times):>6} "
                f"{len(times) / duration:>6.1f} "
                f"{percentile(times, 0.5) * 1000:>6.1f}ms "
                f"{percentile(times, 0.95) * 1000:>6.1f}ms "
                f"{times[-1] * 1000:>6.1f}ms {len(errors):>6}")
        else:
            print(f"  {kind:<16} {0:>6} {'':>6} {'':>8} {'':>8} {'':>8} "
                f"{len(errors):>6}")
        for error in sorted(set(errors))[:3]:
            print(f"      {error}")
    print(f"  {meter.report()}")


def public_times(recorder):
    return sorted(t for kind, times in recorder.times.items()
        if not kind.startswith('agent.') for t in times)


def agent_times(recorder):
    return sorted(t for kind, times in recorder.times.items()
        if kind.startswith('agent.') for t in times)


def public_errors(recorder):
    return sum(len(e) for kind, e in recorder.errors.items()
        if not kind.startswith('agent.'))


def main():
    args = options()
    print(machine())
    ensure_database(args.database, ADMIN_PASSWORD)
    os.environ['DB_NAME'] = args.database
    from trytond.pool import Pool
    Pool.start()
    agents_specs, _ = prepare(args.database)
    screens = prepare_screens(args.database)[:SITES]
    from bench_tools import sql
    desks = dict(sql(args.database,
            'SELECT u.login, d.id FROM case_desk d JOIN res_user u '
            'ON u.id = d."user"', fetch=True))
    # one agent a site: the first counter's (Justice)
    agents = [(a['login'], desks[a['login']]) for a in agents_specs
        if a['login'].endswith('.1')][:SITES]
    print(f"{len(screens)} sites with a call screen and a kiosk, "
        f"{VISITORS} visitors, {len(agents)} agents; "
        f"gunicorn with {args.workers} workers")
    logs = pathlib.Path('/tmp/bench_waiting_logs')
    logs.mkdir(exist_ok=True)
    ok = True
    with Production(args.database, args.workers, logs) as production:
        # the visitors' tickets, taken at the kiosks before the runs
        warm = Recorder()
        followers = []
        for index in range(VISITORS):
            _, _, kiosk_secret, sector, _ = screens[index % len(screens)]
            secret = take_ticket(Browser(production.port, warm),
                args.database, kiosk_secret, sector)
            if secret:
                followers.append(secret)
        if len(followers) != VISITORS:
            sys.exit(f"only {len(followers)} tickets of {VISITORS} taken: "
                f"{warm.errors}")
        sessions = log_in(production.port, args.database, agents)
        # the workers' caches filled by the agents' first calls are not
        # counted in the run without the pages
        run(production, args.database, "warm-up of the agents (not counted)",
            min(10, args.duration), screens, [], sessions, 0)
        alone, _ = run(production, args.database, "the agents alone",
            args.duration, screens, [], sessions, 0)
        both, _ = run(production, args.database,
            "the agents with the public pages", args.duration, screens,
            followers, sessions, SITES)
        half = full = None
        if args.growth:
            half = run(production, args.database,
                "the public pages alone, half size", args.duration, screens,
                followers[:VISITORS // 2], [], SITES // 2)
        full = run(production, args.database,
            "the public pages alone, full size", args.duration, screens,
            followers, [], SITES)

    print()
    public = public_times(both)
    p95 = percentile(public, 0.95)
    errors = public_errors(both) + public_errors(full[0])
    print(f"public pages with the agents: {len(public)} requests, p95 "
        f"{p95 * 1000:.1f} ms (target < {TARGET_P95 * 1000:.0f} ms), "
        f"{errors} errors")
    ok &= p95 < TARGET_P95 and errors == 0
    before, after = (percentile(agent_times(r), 0.95) for r in (alone, both))
    ratio = after / before if before else float('inf')
    fine = after <= before * AGENT_RATIO or after - before <= NOISE
    print(f"agents' p95: alone {before * 1000:.1f} ms, with the public "
        f"pages {after * 1000:.1f} ms, ratio {ratio:.2f} (limit "
        f"{AGENT_RATIO} or {NOISE * 1000:.0f} ms: "
        f"{'ok' if fine else 'OVER'})")
    ok &= fine
    recorder, meter = full
    count = len(public_times(recorder))
    web, postgres = meter.figures()
    print(f"CPU per public request (full size alone): web workers "
        f"{web / count * 1000:.2f} ms, PostgreSQL "
        f"{postgres / count * 1000:.2f} ms, "
        f"{count / args.duration:.1f} requests/s")
    if half:
        half_web, half_postgres = half[1].figures()
        value = (web + postgres) / (half_web + half_postgres)
        print(f"growth check, server CPU seconds: full {web + postgres:.2f} / "
            f"half {half_web + half_postgres:.2f} = {value:.2f} (limit 2.2: "
            f"{'ok' if value <= 2.2 else 'OVER'})")
        ok &= value <= 2.2
    print(machine())
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
