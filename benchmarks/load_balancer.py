"""Growing past one web server: two gunicorn behind HAProxy (issue 18).

    .venv/bin/python -O benchmarks/load_balancer.py [--clients 8]
        [--duration 20] [--database bench_proxy]

Runs Debian's HAProxy with docker/haproxy.cfg (as docker/compose.yaml
does) in front of two gunicorn processes serving trytond on PostgreSQL,
each with one worker (one core's worth: the second stands for a second
host). --clients threads, each logged in with its own session and its own
keep-alive connection to the proxy, call without pause:
`network.site.search_read` of the 46 sites with four fields, a typical
list read of the web client.

1. one web service: the second is stopped, HAProxy has marked it down;
2. two web services: the second started, HAProxy has marked it up.

Prints calls per second, median and 95th percentile of each phase, the
share of calls each web service answered (from their access logs), the
ratio of throughput with two to one (the growth the second brings; on
this 2-core machine the clients and PostgreSQL share the cores, so the
ceiling is below 2), the cores used, the load average and a growth check
(the two-service set-up serving 2 N calls against N calls). Errors fail
the run (exit status 1).

The database (default bench_proxy) is created when missing (service_network
in French) and reused.
"""
import argparse
import base64
import http.client
import json
import os
import pathlib
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from bench_tools import (
    Cores,
    ensure_database,
    free_port,
    growth,
    gunicorn_command,
    machine,
    ratio,
    server_env,
)

ROOT = pathlib.Path(__file__).resolve().parent.parent
PASSWORD = 'bench-admin'
HAPROXY = shutil.which('haproxy') or '/usr/sbin/haproxy'


class Session:
    "One user's JSON-RPC session over one keep-alive connection"

    def __init__(self, port, database):
        self.connection = http.client.HTTPConnection(
            '127.0.0.1', port, timeout=60)
        self.path = f'/{database}/rpc/'
        self.auth = None

    def call(self, method, params):
        headers = {'Content-Type': 'application/json'}
        if self.auth:
            headers['Authorization'] = 'Session ' + base64.b64encode(
                self.auth.encode()).decode()
        body = json.dumps({'id': 1, 'method': method, 'params': params})
        try:
            self.connection.request('POST', self.path, body, headers)
            response = self.connection.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            raise
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
        answer = json.loads(answer)
        if 'error' in answer:
            raise RuntimeError(str(answer['error'])[:200])
        return answer['result']

    def login(self):
        user_id, session = self.call('common.db.login',
            ['admin', {'password': PASSWORD}, 'fr'])[:2]
        self.auth = f'admin:{user_id}:{session}'


def read_sites(session):
    return session.call('model.network.site.search_read',
        [[], 0, None, [['code', 'ASC']],
            ['code', 'name', 'city', 'state'], {}])


def run(sessions, duration=None, calls=None):
    """Every session calls without pause for duration seconds (or until
    calls in all); return (seconds, latencies, errors)"""
    latencies, errors = [], []
    lock = threading.Lock()
    remaining = [calls]
    end = time.perf_counter() + duration if duration else None

    def work(session):
        while True:
            with lock:
                if calls is not None:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
            if end and time.perf_counter() >= end:
                return
            start = time.perf_counter()
            try:
                read_sites(session)
            except Exception as exception:
                with lock:
                    errors.append(str(exception))
                continue
            with lock:
                latencies.append(time.perf_counter() - start)
    threads = [threading.Thread(target=work, args=(session,))
        for session in sessions]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, latencies, errors


class Stack:
    "HAProxy and the web services, their logs in a temporary folder"

    def __init__(self, database):
        self.database = database
        self.logs = pathlib.Path(tempfile.mkdtemp(prefix='bench-proxy-'))
        self.ports = {name: free_port()
            for name in ['web1', 'web2', 'proxy', 'stats']}
        self.env = server_env(database, TRYTOND_WEB__NUM_PROXIES='1',
            # HAProxy checks that each web service serves the client
            TRYTOND_WEB__ROOT=str(ROOT / 'var' / 'sao'))
        self.processes = {}

    def start_web(self, name):
        self.processes[name] = subprocess.Popen(gunicorn_command(
                self.ports[name], access_log=self.logs / f'{name}.log'),
            env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL,
            stderr=open(self.logs / f'{name}.err', 'w'),
            start_new_session=True)

    def start_proxy(self):
        ports = self.ports
        self.processes['proxy'] = subprocess.Popen([HAPROXY, '-W', '-db',
                '-f', ROOT / 'docker' / 'haproxy.cfg'],
            env={**os.environ,
                'ESS_PROXY_BIND': f'127.0.0.1:{ports["proxy"]}',
                'ESS_PROXY_STATS': f'127.0.0.1:{ports["stats"]}',
                'ESS_WEB1': f'127.0.0.1:{ports["web1"]}',
                'ESS_WEB2': f'127.0.0.1:{ports["web2"]}'},
            stdout=open(self.logs / 'proxy.log', 'w'),
            stderr=subprocess.STDOUT, start_new_session=True)

    def states(self):
        "HAProxy's state of each web service, from its statistics page"
        with urllib.request.urlopen(
                f'http://127.0.0.1:{self.ports["stats"]}/;csv') as response:
            rows = response.read().decode().splitlines()
        return [row.split(',')[17] for row in rows
            if row.startswith('web,web')]

    def wait(self, states, timeout=120):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                if self.states() == states:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        sys.exit(f"timed out waiting for the web services {states} "
            f"(logs in {self.logs})")

    def served(self):
        "Calls answered by each web service so far"
        counts = {}
        for name in ['web1', 'web2']:
            log = self.logs / f'{name}.log'
            counts[name] = sum(1 for line in log.read_text().splitlines()
                if f'POST /{self.database}/rpc/' in line
                ) if log.exists() else 0
        return counts

    def stop(self, keep_logs=False):
        for process in self.processes.values():
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        if not keep_logs:
            shutil.rmtree(self.logs, ignore_errors=True)


def phase(label, stack, sessions, duration):
    "Measure the calls/s of sessions through the proxy; exit on errors"
    before = stack.served()
    with Cores() as cores:
        seconds, latencies, errors = run(sessions, duration=duration)
    after = stack.served()
    throughput = len(latencies) / seconds
    p95 = statistics.quantiles(latencies, n=20)[18]
    print(f"{label}: {len(latencies)} calls, {throughput:.1f} calls/s, "
        f"median {statistics.median(latencies) * 1000:.1f} ms, p95 "
        f"{p95 * 1000:.1f} ms, {len(errors)} errors; served by "
        + ', '.join(f'{name} {after[name] - before[name]}'
            for name in sorted(after)))
    print('  ' + str(cores))
    if errors:
        print(f"  first error: {errors[0]}")
        sys.exit(1)
    return throughput


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--clients', type=int, default=8)
    parser.add_argument('--duration', type=float, default=20)
    parser.add_argument('--database', default='bench_proxy')
    args = parser.parse_args()
    if not os.path.exists(HAPROXY):
        sys.exit("HAProxy is missing: apt-get install haproxy")
    ensure_database(args.database, PASSWORD, module='service_network')

    stack = Stack(args.database)
    finished = False
    try:
        stack.start_web('web1')
        stack.start_proxy()
        stack.wait(['UP', 'DOWN'])
        sessions = [Session(stack.ports['proxy'], args.database)
            for _ in range(args.clients)]
        for session in sessions:
            session.login()
        print(machine())
        print(f"{args.clients} clients without pause, {args.duration:.0f} s "
            "per phase, each web service one gunicorn worker")
        run(sessions, duration=2)  # warm the worker's caches
        one = phase("one web service", stack, sessions, args.duration)
        stack.start_web('web2')
        stack.wait(['UP', 'UP'])
        run(sessions, duration=2)
        two = phase("two web services", stack, sessions, args.duration)
        print("throughput with two web services against one:")
        ratio('calls/s', two, one, unit='calls/s')

        # growth: the same set-up serving N, then 2 N calls
        count = max(int(two * args.duration / 4), 50)
        half, _, half_errors = run(sessions, calls=count)
        full, _, full_errors = run(sessions, calls=2 * count)
        if half_errors or full_errors:
            sys.exit(1)
        growth(f"{count} against {2 * count} calls", half, full)
        finished = True
    finally:
        stack.stop(keep_logs=not finished)


if __name__ == '__main__':
    main()
