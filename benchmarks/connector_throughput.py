"""Messages per second sent to the local La Poste (SOAP) and ministry
(REST) servers through the connector's sending code, against a bare
zeep / requests loop making the same calls (the floor).

    .venv/bin/python -O benchmarks/connector_throughput.py [COUNT]

Prints one line per protocol and the ratio connector / bare loop (target:
at least 0.5). The database is an in-memory SQLite one unless
TRYTOND_DATABASE__URI and DB_NAME say otherwise."""
import os
import sys
import time

os.environ.setdefault('TRYTOND_DATABASE__URI', 'sqlite://')
os.environ.setdefault('DB_NAME', ':memory:')

import requests  # noqa: E402
import zeep  # noqa: E402
from zeep.transports import Transport  # noqa: E402
from zeep.wsse.username import UsernameToken  # noqa: E402

from trytond.pool import Pool  # noqa: E402
from trytond.tests.test_tryton import activate_module, with_transaction  # noqa: E402

from connector.tests.servers import LocalServer  # noqa: E402
from connector_laposte.client import BINDING, settings, wsdl_document  # noqa: E402
from connector_laposte.tests.servers import PASSWORD, USERNAME, LaPosteService  # noqa: E402
from connector_xroad.tests.servers import (  # noqa: E402
    CLIENT,
    SERVICE,
    TOKEN,
    MinistryService,
)

COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 500


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


def bare_soap(url, count):
    transport = Transport(
        session=requests.Session(), timeout=10, operation_timeout=10)
    client = zeep.Client(
        wsdl_document(), transport=transport, settings=settings(),
        wsse=UsernameToken(USERNAME, PASSWORD))
    service = client.create_service(BINDING, url)
    started = time.perf_counter()
    for i in range(count):
        service.IssueMoneyOrder(
            idempotencyKey=f'bare-{i}', **money_order(i))
    return count / (time.perf_counter() - started)


def bare_rest(url, count):
    session = requests.Session()
    session.headers.update({
            'X-Road-Client': CLIENT, 'Authorization': f'Bearer {TOKEN}'})
    target = f'{url}/r1/{SERVICE}/requests'
    started = time.perf_counter()
    for i in range(count):
        response = session.post(
            target, json=criminal_record(i), timeout=10,
            headers={'Idempotency-Key': f'bare-{i}'})
        response.raise_for_status()
        response.json()
    return count / (time.perf_counter() - started)


def endpoint(protocol, url, **values):
    pool = Pool()
    Party = pool.get('party.party')
    Endpoint = pool.get('connector.endpoint')
    partner, = Party.create([{
                'name': f"Partner {protocol}", 'partner_kind': 'agency'}])
    record, = Endpoint.create([{
                'name': protocol, 'partner': partner.id,
                'protocol': protocol, 'url': url, 'timeout': 10,
                **values}])
    return record


def connector(endpoint, operation, payload, count):
    "Write count messages, then time their sending by the connector"
    pool = Pool()
    Message = pool.get('connector.message')
    messages = Message.outbox([{
                'endpoint': endpoint.id, 'operation': operation,
                'payload': payload(i),
                'idempotency_key': f'{endpoint.protocol}-{i}'}
            for i in range(count)])
    started = time.perf_counter()
    Message.send(messages)
    rate = count / (time.perf_counter() - started)
    assert {m.state for m in Message.browse(messages)} == {'acknowledged'}
    return rate


@with_transaction()
def main():
    with LocalServer(LaPosteService()) as soap, \
            LocalServer(MinistryService()) as rest:
        soap_url, rest_url = f'{soap.url}/ess', rest.url
        results = {
            'SOAP (La Poste)': (
                connector(
                    endpoint(
                        'laposte', soap_url, kind='soap',
                        username=USERNAME, secret=PASSWORD),
                    'issue_money_order', money_order, COUNT),
                bare_soap(soap_url, COUNT)),
            'REST (X-Road)': (
                connector(
                    endpoint(
                        'xroad', rest_url, xroad_client=CLIENT,
                        xroad_service=SERVICE, secret=TOKEN),
                    'submit', criminal_record, COUNT),
                bare_rest(rest_url, COUNT)),
            }
    print(f"{COUNT} messages per protocol, local servers on 127.0.0.1")
    for name, (ours, floor) in results.items():
        print(f"{name:16} connector {ours:7.1f} msg/s   bare loop "
            f"{floor:7.1f} msg/s   ratio {ours / floor:.2f}")


if __name__ == '__main__':
    activate_module(['connector_laposte', 'connector_xroad'])
    main()
