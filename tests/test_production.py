"""The production processes, as docker/compose.yaml runs them, without
Docker: gunicorn with several workers serving trytond, trytond-worker for
the queue and trytond-cron, against PostgreSQL; two gunicorn behind
Debian's HAProxy with docker/haproxy.cfg."""
import base64
import concurrent.futures
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = pathlib.Path(sys.executable).parent
URI = os.environ.get('TRYTOND_DATABASE__URI', '')
DATABASE = f'test_ess_production_{os.getpid()}'
WEB_WORKERS = 3

pytestmark = pytest.mark.skipif(
    not URI.startswith('postgresql'),
    reason="the production set-up runs on PostgreSQL")


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def sql(statement, database='postgres', fetch=False):
    import psycopg
    with psycopg.connect(URI + database, autocommit=True) as connection:
        cursor = connection.execute(statement)
        if fetch:
            return cursor.fetchall()


def rpc(url, method, params, session=None, agent='Python-urllib'):
    request = urllib.request.Request(
        url, data=json.dumps(
            {'id': 1, 'method': method, 'params': params}).encode(),
        headers={'Content-Type': 'application/json', 'User-Agent': agent})
    if session:
        request.add_header('Authorization', 'Session ' + base64.b64encode(
                session.encode()).decode())
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.load(response)
    assert 'error' not in answer, answer
    return answer['result']


def signal_group(process, signum):
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


def answers(url):
    try:
        with urllib.request.urlopen(url + '/', timeout=2):
            return True
    except OSError:
        return False


def stop(processes):
    "Stop the process groups, the worker and cron's pools with them"
    for process in processes.values():
        signal_group(process, signal.SIGTERM)
    for process in processes.values():
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        signal_group(process, signal.SIGKILL)


def wait_for(predicate, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture(scope='module')
def production(tmp_path_factory):
    env = dict(os.environ)
    env.pop('TRYTOND_CONFIG', None)
    env.update({
            'TRYTOND_DATABASE__URI': URI,
            'TRYTOND_DATABASE__PATH': str(tmp_path_factory.mktemp('files')),
            'TRYTOND_DATABASE_NAMES': DATABASE,
            'TRYTOND_QUEUE__WORKER': 'True',
            'TRYTOND_WEB__ROOT': str(ROOT / 'var' / 'sao'),
            'PYTHONOPTIMIZE': '1',
            })
    passfile = tmp_path_factory.mktemp('secret') / 'password'
    passfile.write_text('admin-production')
    sql(f'DROP DATABASE IF EXISTS "{DATABASE}"')
    sql(f'CREATE DATABASE "{DATABASE}"')
    subprocess.run([
            BIN / 'trytond-admin', '-d', DATABASE, '-l', 'fr',
            '--email', 'admin@example.sn',
            '--activate-dependencies', '-u', 'service_network',
            'connector_xroad'],
        env={**env, 'TRYTONPASSFILE': str(passfile)}, check=True)
    port = free_port()
    logs = tmp_path_factory.mktemp('logs')
    processes = {}
    try:
        for name, command in [
                ('web', [BIN / 'gunicorn', '--bind', f'127.0.0.1:{port}',
                        '--workers', str(WEB_WORKERS),
                        'trytond.application:app']),
                ('worker', [BIN / 'trytond-worker', '-d', DATABASE,
                        '-n', '1']),
                ('cron', [BIN / 'trytond-cron', '-d', DATABASE, '-n', '1']),
                ]:
            processes[name] = subprocess.Popen(
                command, env=env, cwd=ROOT,
                stdout=open(logs / f'{name}.log', 'w'),
                stderr=subprocess.STDOUT, start_new_session=True)
        url = f'http://127.0.0.1:{port}'
        wait_for(lambda: answers(url), 120, "the web server")
        yield url, processes, env
    finally:
        stop(processes)
        sql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def test_web_serves_sao_and_rpc_on_several_workers(production):
    url, processes, _ = production
    with urllib.request.urlopen(url + '/') as response:
        assert b'tryton-sao' in response.read()
    children = subprocess.run(
        ['ps', '--ppid', str(processes['web'].pid), '-o', 'pid='],
        capture_output=True, text=True).stdout.split()
    assert len(children) == WEB_WORKERS

    rpc_url = f'{url}/{DATABASE}/rpc/'
    user_id, session = rpc(rpc_url, 'common.db.login',
        ['admin', {'password': 'admin-production'}, 'fr'])[:2]
    auth = f'admin:{user_id}:{session}'

    def count_sites(_):
        return len(rpc(rpc_url, 'model.network.site.search',
                [[], 0, None, None, {}], auth))
    with concurrent.futures.ThreadPoolExecutor(8) as executor:
        counts = list(executor.map(count_sites, range(40)))
    assert counts == [46] * 40


def test_queue_worker_runs_tasks(production):
    site_id, = sql(
        "SELECT id FROM network_site WHERE code = 'RUF'",
        DATABASE, fetch=True)[0]
    sql("UPDATE network_site SET closure_reason = 'Travaux de toiture' "
        f"WHERE id = {site_id}", DATABASE)
    data = json.dumps({
            'model': 'network.site', 'method': 'close_for_works',
            'user': 1, 'context': {}, 'instances': [site_id],
            'args': [], 'kwargs': {}})
    sql("INSERT INTO ir_queue (name, data, enqueued_at, create_date, "
        f"create_uid) VALUES ('default', '{data}', now(), now(), 0)",
        DATABASE)
    sql('NOTIFY "ir.queue"', DATABASE)

    def done():
        return sql(
            f"SELECT state FROM network_site WHERE id = {site_id}",
            DATABASE, fetch=True)[0][0] == 'works'
    wait_for(done, 60, "the queue worker")
    finished, = sql("SELECT count(*) FROM ir_queue "
        "WHERE finished_at IS NOT NULL", DATABASE, fetch=True)[0]
    assert finished == 1


def test_cron_runs_scheduled_tasks(production):
    "trytond-cron loads the public holidays of this year and the next"
    def loaded():
        count, = sql("SELECT count(*) FROM network_holiday "
            "WHERE origin = 'library'", DATABASE, fetch=True)[0]
        return count > 10
    wait_for(loaded, 90, "the scheduled task")


def test_worker_sends_a_backlog_many_messages_a_task(production):
    """Messages queued while the worker is held up (a backlog) are sent by a
    few tasks, each taking over the send tasks waiting behind it; every
    message reaches the partner once and is acknowledged"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from connector.tests.servers import LocalServer
    from connector_xroad.tests.servers import (
        CLIENT,
        SERVICE,
        TOKEN,
        MinistryService,
    )
    _, processes, _ = production
    count = 30
    ministry = MinistryService()
    with LocalServer(ministry) as server:
        pool = Pool(DATABASE)
        with Transaction().start(DATABASE, 0, readonly=True):
            pool.init()
        with Transaction().start(DATABASE, 0):
            Party = pool.get('party.party')
            Endpoint = pool.get('connector.endpoint')
            partner, = Party.create([{
                        'name': "Ministère de la Justice (test)",
                        'partner_kind': 'agency'}])
            endpoint, = Endpoint.create([{
                        'name': "Casier judiciaire (test)",
                        'partner': partner.id, 'protocol': 'xroad',
                        'kind': 'rest', 'url': server.url, 'timeout': 10,
                        'xroad_client': CLIENT, 'xroad_service': SERVICE,
                        'secret': TOKEN}])
            endpoint = endpoint.id
        signal_group(processes['worker'], signal.SIGSTOP)
        try:
            # one transaction per message, as cases are transmitted
            for i in range(count):
                with Transaction().start(DATABASE, 0):
                    pool.get('connector.message').outbox([{
                                'endpoint': endpoint,
                                'operation': 'submit',
                                'idempotency_key': f'backlog-{i}',
                                'payload': {
                                    'case': f'ZIG-2026-{i:06d}',
                                    'procedure': 'CJ-B3', 'site': 'ZIG',
                                    'citizen': {'name': "Awa Diatta"}},
                                }])
        finally:
            signal_group(processes['worker'], signal.SIGCONT)
        sql('NOTIFY "ir.queue"', DATABASE)

        def sent():
            return sql("SELECT count(*) FROM connector_message WHERE "
                f"endpoint = {endpoint} AND state = 'acknowledged'",
                DATABASE, fetch=True)[0][0] == count
        wait_for(sent, 60, "the backlog sent")
    assert sorted(ministry.calls) == sorted(
        f'backlog-{i}' for i in range(count))
    assert set(ministry.calls.values()) == {1}
    attempts = sql("SELECT DISTINCT attempts FROM connector_message "
        f"WHERE endpoint = {endpoint}", DATABASE, fetch=True)
    assert attempts == [(1,)]
    tasks = sql("SELECT count(*), count(finished_at), "
        "count(*) FILTER (WHERE finished_at = dequeued_at) "
        "FROM ir_queue WHERE name = 'connector'", DATABASE, fetch=True)[0]
    total, finished, taken_over = tasks
    assert (total, finished) == (count, count)
    # the first task pulled takes over those queued behind it
    assert taken_over >= count - 5, tasks


@pytest.fixture(scope='module')
def balanced(production, tmp_path_factory):
    """Two gunicorn (one worker each) behind HAProxy, run with
    docker/haproxy.cfg as compose runs it; yield the proxy's address, the
    processes and the access log of each web service"""
    haproxy = shutil.which('haproxy') or '/usr/sbin/haproxy'
    if not os.path.exists(haproxy):
        pytest.fail("HAProxy is missing: scripts/test.sh installs "
            "Debian's haproxy")
    _, _, env = production
    env = {**env, 'TRYTOND_WEB__NUM_PROXIES': '1'}
    logs = tmp_path_factory.mktemp('balanced')
    ports = {name: free_port() for name in ['web1', 'web2', 'proxy', 'stats']}
    processes = {}
    try:
        for name in ['web1', 'web2']:
            processes[name] = subprocess.Popen([
                    BIN / 'gunicorn', '--bind', f'127.0.0.1:{ports[name]}',
                    '--workers', '1', '--access-logfile', logs / f'{name}.log',
                    'trytond.application:app'],
                env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                stderr=open(logs / f'{name}.err', 'w'),
                start_new_session=True)
        processes['proxy'] = subprocess.Popen([
                haproxy, '-W', '-db', '-f', ROOT / 'docker' / 'haproxy.cfg'],
            env={**os.environ,
                'ESS_PROXY_BIND': f'127.0.0.1:{ports["proxy"]}',
                'ESS_PROXY_STATS': f'127.0.0.1:{ports["stats"]}',
                'ESS_WEB1': f'127.0.0.1:{ports["web1"]}',
                'ESS_WEB2': f'127.0.0.1:{ports["web2"]}'},
            stdout=open(logs / 'proxy.log', 'w'), stderr=subprocess.STDOUT,
            start_new_session=True)
        for name in ['web1', 'web2', 'proxy']:
            wait_for(lambda url=f'http://127.0.0.1:{ports[name]}':
                answers(url), 120, name)

        def both_up():
            with urllib.request.urlopen(
                    f'http://127.0.0.1:{ports["stats"]}/;csv') as response:
                rows = response.read().decode().splitlines()
            states = [row.split(',')[17] for row in rows
                if row.startswith('web,web')]
            return states == ['UP', 'UP']
        wait_for(both_up, 30, "both web services up in HAProxy")
        yield (f'http://127.0.0.1:{ports["proxy"]}', processes,
            {name: logs / f'{name}.log' for name in ['web1', 'web2']})
    finally:
        stop(processes)


def rpc_lines(log, agent):
    "The access log lines of the RPC calls a test made as agent"
    return [line for line in log.read_text().splitlines()
        if f'POST /{DATABASE}/rpc/' in line and f'"{agent}"' in line]


def served_since(logs, agent, calls):
    """The number of RPC calls each web service logged for agent, once all
    calls are logged: gunicorn writes its access line after it sent the
    response, so the client may read the log before the last line"""
    def served():
        return {name: len(rpc_lines(log, agent))
            for name, log in logs.items()}
    wait_for(lambda: sum(served().values()) >= calls, 30,
        f"{calls} calls in the access logs")
    return served()


def test_proxy_shares_one_session_between_web_services(balanced):
    "One user's session is served by both web services in turn"
    url, _, logs = balanced
    rpc_url = f'{url}/{DATABASE}/rpc/'
    agent = 'ess-test-session'
    user_id, session = rpc(rpc_url, 'common.db.login',
        ['admin', {'password': 'admin-production'}, 'fr'], agent=agent)[:2]
    auth = f'admin:{user_id}:{session}'
    for _ in range(10):
        sites = rpc(rpc_url, 'model.network.site.search_read',
            [[('code', '=', 'ZIG')], 0, None, None, ['name'], {}], auth,
            agent=agent)
        assert [site['name'] for site in sites] == [
            "Espace Sénégal Services de Ziguinchor"]
    served = served_since(logs, agent, 11)
    # the login and ten calls, in turn (round robin)
    assert sorted(served.values()) == [5, 6], served

    # the session ends for both when the user logs out through either
    rpc(rpc_url, 'common.db.logout', [], auth)
    request = urllib.request.Request(rpc_url, data=json.dumps({'id': 1,
                'method': 'model.network.site.search',
                'params': [[], 0, None, None, {}]}).encode(),
        headers={'Content-Type': 'application/json',
            'Authorization': 'Session ' + base64.b64encode(
                auth.encode()).decode()})
    for _ in range(2):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 401


def test_proxy_carries_on_when_a_web_service_stops(balanced):
    """Calls keep succeeding through the proxy when one web service stops
    (as for an upgrade: gunicorn ends its requests, then its listener
    refuses and HAProxy sends the request to the other)"""
    url, processes, logs = balanced
    rpc_url = f'{url}/{DATABASE}/rpc/'
    agent = 'ess-test-failover'
    user_id, session = rpc(rpc_url, 'common.db.login',
        ['admin', {'password': 'admin-production'}, 'fr'], agent=agent)[:2]
    auth = f'admin:{user_id}:{session}'
    signal_group(processes['web2'], signal.SIGTERM)
    processes['web2'].wait(timeout=30)
    for _ in range(6):
        assert len(rpc(rpc_url, 'model.network.site.search',
                [[], 0, None, None, {}], auth, agent=agent)) == 46
    served = served_since(logs, agent, 7)
    # web2 may have served the login, not one call after it stopped
    assert served['web2'] <= 1 and served['web1'] + served['web2'] == 7, \
        served
