"""The production processes, as docker/compose.yaml runs them, without
Docker: gunicorn with several workers serving trytond, trytond-worker for
the queue and trytond-cron, against PostgreSQL."""
import base64
import concurrent.futures
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
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


def rpc(url, method, params, session=None):
    request = urllib.request.Request(
        url, data=json.dumps(
            {'id': 1, 'method': method, 'params': params}).encode(),
        headers={'Content-Type': 'application/json'})
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
            '--activate-dependencies', '-u', 'service_network'],
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

        def answers():
            try:
                with urllib.request.urlopen(url + '/', timeout=2):
                    return True
            except OSError:
                return False
        wait_for(answers, 120, "the web server")
        yield url, processes
    finally:
        # the worker and cron run pools of child processes: stop the groups
        for process in processes.values():
            signal_group(process, signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
            signal_group(process, signal.SIGKILL)
        sql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def test_web_serves_sao_and_rpc_on_several_workers(production):
    url, processes = production
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
