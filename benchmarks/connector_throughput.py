"""Messages per second sent to La Poste (SOAP) and a ministry through
X-Road (REST) the way production sends them (issue 18): each message is
written to the outbox in its own transaction with its own `ir.queue` task
(as --count transmissions would), then the worker runs the tasks, each in
its own transaction on PostgreSQL, as `trytond-worker` runs them: the
backlog of a busy morning, where a task takes over the send tasks waiting
behind it (connector.message.send_queued). The floor is a bare zeep /
requests loop making the same calls to the same servers in the same run.

    .venv/bin/python -O benchmarks/connector_throughput.py
        [--count 2000] [--database bench_connector] [--worker]
        [--processes 1] [--warm-up 10] [--runs 3]

Options:
- --count: messages per protocol (default 2000, so that the runs last
  seconds, not tenths); the growth check also sends half of it and
  prints full time / half time (limit 2.2).
- --database: the PostgreSQL database (default bench_connector), created
  with connector_laposte and connector_xroad when missing and reused; its
  messages and queue tasks are deleted at each start.
- --worker: run real `trytond-worker` processes (--processes of them,
  default 1) against the database and time until the outbox is empty.
  Without it (the default), this process pulls each task with the worker's
  own code (`trytond.worker.Queue.pull`) and runs it with the worker's
  `run_task`, one transaction per task: the same path without the
  worker's dispatch loop, which sleeps up to 0.1 s (0.05 s on average)
  before each task it pulls and so caps one trytond-worker at about 20
  tasks per second whatever the task does.
- --warm-up: messages sent per protocol before timing (default 10), as a
  running worker has already sent some: they build the clients.
- --runs: how many times the half run, the floor and the full run are
  timed in turn (default 3), the median of each kept: on two cores a run
  of a few seconds varies by 10 to 30 % from one moment to the next; all
  are printed.

Each message is also queued once more after it is sent (on the default
queue, one task each, none taken over): that task has nothing to send,
and its time is the cost of one task and its transaction, printed with
the bare call and the rest per message, with the number of tasks that
ran and of those taken over.

The local servers (tests/servers.py of the connectors) run in a child
process on 127.0.0.1, for the floors and the connector alike. Prints the
machine line, messages per second of the connector and of the floor with
their ratio (target: at least 0.5), the cores used and the growth check.
The connector's figures are checked: every message acknowledged, once,
with its own partner reference."""
import argparse
import contextlib
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

from bench_tools import (
    BIN,
    URI,
    Cores,
    ensure_database,
    growth,
    machine,
    median_run,
    ratio,
    sql,
)

# Tasks are left to the worker, as in production (not run at commit)
os.environ['TRYTOND_QUEUE__WORKER'] = 'True'

import requests  # noqa: E402
import zeep  # noqa: E402
from zeep.transports import Transport  # noqa: E402
from zeep.wsse.username import UsernameToken  # noqa: E402

from connector.tests.servers import LocalServer  # noqa: E402
from connector_laposte.client import (  # noqa: E402
    BINDING,
    settings,
    wsdl_document,
)
from connector_laposte.tests.servers import (  # noqa: E402
    PASSWORD,
    USERNAME,
    LaPosteService,
)
from connector_xroad.tests.servers import (  # noqa: E402
    CLIENT,
    SERVICE,
    TOKEN,
    MinistryService,
)

ADMIN_PASSWORD = 'bench-admin'


def money_order(i):
    return {
        'orderNumber': f'BENCH-{i:06d}',
        'sender': {'name': "Moussa Ndiaye", 'phone': '+221 77 123 45 67'},
        'beneficiary': {'name': "Awa Ndiaye", 'city': "Kaolack"},
        'amount': 50000, 'fees': 1000, 'currency': 'XOF',
        }


def criminal_record(i):
    return {
        'case': f'BENCH-{i:06d}', 'procedure': 'CJ-B3', 'site': 'ZIG',
        'citizen': {'name': "Awa Diatta", 'phone': '+221 77 123 45 67'},
        }


PROTOCOLS = {
    # name: (protocol, operation, payload)
    'SOAP (La Poste)': ('laposte', 'issue_money_order', money_order),
    'REST (X-Road)': ('xroad', 'submit', criminal_record),
    }


def serve(pipe):
    "Child process: serve La Poste and the ministry until told to stop"
    with LocalServer(LaPosteService()) as soap, \
            LocalServer(MinistryService()) as rest:
        pipe.send({'laposte': f'{soap.url}/ess', 'xroad': rest.url})
        pipe.recv()


def bare_soap(url, count, prefix):
    transport = Transport(
        session=requests.Session(), timeout=10, operation_timeout=10)
    client = zeep.Client(
        wsdl_document(), transport=transport, settings=settings(),
        wsse=UsernameToken(USERNAME, PASSWORD))
    service = client.create_service(BINDING, url)
    started = time.perf_counter()
    for i in range(count):
        service.IssueMoneyOrder(
            idempotencyKey=f'{prefix}-{i}', **money_order(i))
    return count / (time.perf_counter() - started)


def bare_rest(url, count, prefix):
    session = requests.Session()
    session.headers.update({
            'X-Road-Client': CLIENT, 'Authorization': f'Bearer {TOKEN}'})
    target = f'{url}/r1/{SERVICE}/requests'
    started = time.perf_counter()
    for i in range(count):
        response = session.post(
            target, json=criminal_record(i), timeout=10,
            headers={'Idempotency-Key': f'{prefix}-{i}'})
        response.raise_for_status()
        response.json()
    return count / (time.perf_counter() - started)


FLOORS = {'laposte': bare_soap, 'xroad': bare_rest}


def setup(database, urls):
    """Empty the outbox and the queue, point one endpoint per protocol at
    the local servers; return {protocol: endpoint id}"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    sql(database, 'DELETE FROM connector_callback_event')
    sql(database, 'DELETE FROM connector_message')
    sql(database, 'DELETE FROM ir_queue')
    # the rows deleted vacuumed now, not by autovacuum beside the runs
    sql(database, 'VACUUM ANALYZE connector_callback_event, '
        'connector_message, ir_queue')
    pool = Pool(database)
    pool.init()
    endpoints = {}
    with Transaction().start(database, 0) as transaction:
        Party = pool.get('party.party')
        Endpoint = pool.get('connector.endpoint')
        values = {
            'laposte': {
                'kind': 'soap', 'username': USERNAME, 'secret': PASSWORD},
            'xroad': {
                'kind': 'rest', 'xroad_client': CLIENT,
                'xroad_service': SERVICE, 'secret': TOKEN},
            }
        for protocol, url in urls.items():
            name = f"Benchmark {protocol}"
            found = Endpoint.search([('name', '=', name)])
            if found:
                endpoint, = found
                # the servers listen on new ports at each run
                Endpoint.write([endpoint], {'url': url})
            else:
                partner, = Party.create([{
                            'name': name, 'partner_kind': 'agency'}])
                endpoint, = Endpoint.create([{
                            'name': name, 'partner': partner.id,
                            'protocol': protocol, 'url': url, 'timeout': 10,
                            **values[protocol]}])
            endpoints[protocol] = endpoint.id
        transaction.commit()
    return endpoints


def enqueue(database, endpoint, operation, payload, count, prefix):
    """Write count messages to the outbox, one queue task each (as count
    transmissions would), committed at once; return their ids"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(database)
    with Transaction().start(database, 0) as transaction:
        Message = pool.get('connector.message')
        ids = []
        for i in range(count):
            message, = Message.outbox([{
                        'endpoint': endpoint, 'operation': operation,
                        'payload': payload(i),
                        'idempotency_key': f'{prefix}-{i}'}])
            ids.append(message.id)
        transaction.commit()
    return ids


def work_here(database):
    """Pull and run the tasks as trytond-worker does, one transaction per
    task, until the queue is empty"""
    from trytond.pool import Pool
    from trytond.worker import Queue, run_task
    queue = Queue(database, None)
    pool = Pool(database)
    try:
        while True:
            task_id, _ = queue.pull()
            if not task_id:
                break
            run_task(pool, task_id)
    finally:
        queue.database.put_connection(queue.connection)


def wait_empty(database, ids, process):
    "Wait until the messages ids are sent and their tasks finished"
    listed = ','.join(map(str, ids))
    while True:
        waiting, = sql(database,
            'SELECT count(*) FROM connector_message '
            f"WHERE id IN ({listed}) AND state IN ('pending', 'failed')",
            fetch=True)[0]
        running, = sql(database,
            'SELECT count(*) FROM ir_queue WHERE finished_at IS NULL',
            fetch=True)[0]
        if not waiting and not running:
            return
        if process.poll() is not None:
            sys.exit(f"trytond-worker stopped ({process.returncode})")
        time.sleep(0.05)


def start_worker(database, processes, configfile):
    process = subprocess.Popen([
            BIN / 'trytond-worker', '-d', database, '-n', str(processes),
            '-c', configfile],
        env={**os.environ, 'TRYTOND_DATABASE__URI': URI},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        # its own process group: stopped with its pool's processes
        start_new_session=True)
    return process


def check(database, ids):
    "Every message acknowledged once, each with its own reference"
    listed = ','.join(map(str, ids))
    rows = sql(database,
        'SELECT state, attempts, partner_reference FROM connector_message '
        f'WHERE id IN ({listed})', fetch=True)
    assert len(rows) == len(ids), rows
    assert {r[0] for r in rows} == {'acknowledged'}, {r[0] for r in rows}
    assert {r[1] for r in rows} == {1}, {r[1] for r in rows}
    assert len({r[2] for r in rows}) == len(ids)


def empty_tasks(args, worker, ids):
    """Seconds to run one queue task per message of ids already sent: the
    cost of a task and its transaction when the connector has nothing to
    send (Tryton's queue, the row lock and the read of the message)"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(args.database)
    with Transaction().start(args.database, 0) as transaction:
        Message = pool.get('connector.message')
        for id_ in ids:
            Message.__queue__.send([Message(id_)])
        transaction.commit()
    started = time.perf_counter()
    if worker:
        wait_empty(args.database, ids, worker)
    else:
        work_here(args.database)
    return time.perf_counter() - started


def timed(args, worker, endpoint, protocol, count, used=None):
    """Seconds to send count new messages of protocol through the queue,
    measured by used (a Cores) too when given"""
    _, operation, payload = next(
        p for p in PROTOCOLS.values() if p[0] == protocol)
    prefix = f'{protocol}-{uuid.uuid4().hex[:8]}'
    last_task, = sql(args.database,
        'SELECT coalesce(max(id), 0) FROM ir_queue', fetch=True)[0]
    ids = enqueue(args.database, endpoint, operation, payload, count, prefix)
    used = used or contextlib.nullcontext()
    started = time.perf_counter()
    with used:
        if worker:
            wait_empty(args.database, ids, worker)
        else:
            work_here(args.database)
    seconds = time.perf_counter() - started
    check(args.database, ids)
    # the tasks taken over by another are marked done at once
    ran, taken_over = sql(args.database,
        'SELECT count(*) FILTER (WHERE finished_at > dequeued_at), '
        'count(*) FILTER (WHERE finished_at = dequeued_at) FROM ir_queue '
        f"WHERE name = 'connector' AND id > {last_task}", fetch=True)[0]
    return seconds, ids, (ran, taken_over)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--count', type=int, default=2000)
    parser.add_argument('--database', default='bench_connector')
    parser.add_argument('--worker', action='store_true')
    parser.add_argument('--processes', type=int, default=1)
    parser.add_argument('--warm-up', type=int, default=10)
    parser.add_argument('--runs', type=int, default=3)
    args = parser.parse_args()
    ensure_database(args.database, ADMIN_PASSWORD, 'connector_xroad')
    ensure_database(args.database, ADMIN_PASSWORD, 'connector_laposte')

    context = multiprocessing.get_context('fork')
    pipe, child_pipe = context.Pipe()
    servers = context.Process(target=serve, args=(child_pipe,), daemon=True)
    servers.start()
    urls = pipe.recv()
    worker = None
    configfile = tempfile.NamedTemporaryFile('w', suffix='.conf')
    configfile.write('[queue]\nworker = True\n')
    configfile.flush()
    try:
        endpoints = setup(args.database, urls)
        if args.worker:
            worker = start_worker(
                args.database, args.processes, configfile.name)
        how = (f"{args.processes} trytond-worker process(es)" if args.worker
            else "the worker's pull and run_task in this process")
        print(machine())
        print(f"{args.count} messages per protocol, each written with its "
            f"queue task in its own transaction, {how}; PostgreSQL database "
            f"{args.database}; local servers on 127.0.0.1 in a child "
            "process")
        results = {}
        for name, (protocol, _, _) in PROTOCOLS.items():
            endpoint = endpoints[protocol]
            # a running worker has already built its clients
            timed(args, worker, endpoint, protocol, args.warm_up)
            halves, floors, fulls = [], [], []
            for _ in range(args.runs):
                halves.append(timed(
                        args, worker, endpoint, protocol, args.count // 2)[0])
                floors.append(FLOORS[protocol](
                        urls[protocol], args.count,
                        f'bare-{uuid.uuid4().hex[:8]}'))
                run_used = Cores()
                seconds, ids, tasks = timed(
                    args, worker, endpoint, protocol, args.count, run_used)
                fulls.append((seconds, run_used, tasks))
            empty = empty_tasks(args, worker, ids)
            full, used, tasks = median_run(fulls, key=lambda f: f[0])
            results[name] = (args.count / full, statistics.median(floors),
                used, statistics.median(halves), full, empty / args.count,
                tasks, (halves, floors, [f[0] for f in fulls]))
        for name, (rate, floor, used, half, full, empty, tasks, runs) in (
                results.items()):
            print(f"{name}: connector {rate:.1f} msg/s, bare loop "
                f"{floor:.1f} msg/s")
            if args.runs > 1:
                halves, floors, fulls = runs
                print(f"  the median of {args.runs} runs: connector "
                    + ', '.join(f'{args.count / s:.0f}' for s in fulls)
                    + " msg/s; bare loop "
                    + ', '.join(f'{f:.0f}' for f in floors)
                    + " msg/s; half the messages "
                    + ', '.join(f'{s:.2f}' for s in halves) + " s")
            ratio(f"{name} connector / bare loop (msg/s)", rate, floor,
                unit='msg/s')
            print(f"  {used}")
            call, task = 1000 / floor, 1000 / rate
            ran, taken_over = tasks
            print(f"  {ran} tasks ran, each taking over the send tasks "
                f"waiting behind it: {taken_over} taken over")
            print(f"  per message: {task:.1f} ms = bare call {call:.1f} ms "
                f"+ the rest {task - call:.1f} ms; a queue task with "
                f"nothing to send costs {empty * 1000:.1f} ms, so one task "
                f"per message could not beat ratio "
                f"{call / (call + empty * 1000):.2f} here")
            growth(f"{name} {args.count} against {args.count // 2} "
                "messages", half, full)
        print(machine())
    finally:
        if worker:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait()
        pipe.send('stop')
        servers.join(5)
        configfile.close()


if __name__ == '__main__':
    main()
