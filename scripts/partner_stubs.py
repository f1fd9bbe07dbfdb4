"""Serve the partners' simulators of the connector tests on 127.0.0.1, for
the demo: La Poste's SOAP service and the Justice ministry's REST service
behind X-Road, so that the demo's endpoints answer, its outbox sends and
"Tester la connexion" succeeds; and an SMS gateway that writes each SMS
the citizens would receive to a log file to read (var/log/sms.log).

    python scripts/partner_stubs.py     # until Ctrl-C or SIGTERM

The services are those of the tests (connector_laposte.tests.servers,
connector_xroad.tests.servers), with their credentials: the demo and the
tests run the same code. Ports: ESS_LAPOSTE_PORT (default 8091),
ESS_XROAD_PORT (default 8092) and ESS_SMS_PORT (default 8093); the demo's
endpoints are created with the ports of the environment of the demo's
creation, its SMS gateway address set at each start (scripts/demo_db.py).
The SMS log is ESS_SMS_LOG (default var/log/sms.log).
"""
import datetime as dt
import errno
import json
import os
import pathlib
import signal
import socket
import sys
import threading

ROOT = pathlib.Path(__file__).resolve().parent.parent
PORTS = {
    # service: (environment variable, default port, path of the endpoint)
    'laposte': ('ESS_LAPOSTE_PORT', 8091, '/ess'),
    'xroad': ('ESS_XROAD_PORT', 8092, ''),
    'sms': ('ESS_SMS_PORT', 8093, '/sms'),
    }
NAMES = {
    'laposte': "La Poste (SOAP)",
    'xroad': "Justice par X-Road (REST)",
    'sms': "Passerelle SMS",
    }


def sms_log():
    "The file where the SMS gateway simulator writes the SMS it receives"
    return pathlib.Path(
        os.environ.get('ESS_SMS_LOG') or ROOT / 'var' / 'log' / 'sms.log')


class SmsGateway:
    """The SMS gateway of service_case's HTTP sender: it takes the JSON
    message POSTed to /sms and, instead of a phone, writes it to a log
    file, once per Idempotency-Key (a retried message is not sent twice)"""

    def __init__(self, log):
        self.log = pathlib.Path(log)
        self.lock = threading.Lock()
        self.seen = set()

    def __call__(self, environ, start_response):
        from werkzeug.wrappers import Request, Response
        status, body = self.answer(Request(environ))
        response = Response(
            json.dumps(body), status, content_type='application/json')
        return response(environ, start_response)

    def answer(self, request):
        if request.path != PORTS['sms'][2]:
            return 404, {'error': "unknown path: POST to /sms"}
        if request.method != 'POST':
            return 405, {'error': "POST the message as JSON"}
        try:
            message = json.loads(request.get_data(as_text=True))
        except ValueError:
            return 400, {'error': "the body is not JSON"}
        if not isinstance(message, dict) or not all(
                isinstance(message.get(k), str) and message[k]
                for k in ['recipient', 'text']):
            return 400, {'error': "recipient and text are required"}
        key = request.headers.get('Idempotency-Key') or message.get('id')
        with self.lock:
            if key and key in self.seen:
                return 200, {'status': 'duplicate', 'id': key}
            self.write(message)
            if key:
                self.seen.add(key)
        return 200, {'status': 'sent', 'id': key}

    def write(self, message):
        "Append the SMS to the log: a line of who and what, then its text"
        from service_case.sms import gsm_length
        text = message['text']
        length = gsm_length(text)
        size = (f"{length} caractères GSM" if length is not None
            else f"{len(text)} caractères UCS-2")
        about = ', '.join(filter(None, [
                    message.get('case') or message.get('ticket')
                    or message.get('appointment'),
                    message.get('event'), size]))
        now = dt.datetime.now().strftime('%Y-%m-%d %H:%M:%S')
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open('a', encoding='utf-8') as fp:
            fp.write(f"{now} SMS à {message['recipient']} ({about})\n"
                f"    {text}\n")


class PortError(Exception):
    pass


def port(service):
    variable, default, _ = PORTS[service]
    value = os.environ.get(variable) or str(default)
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise PortError(f"{variable}={value!r} is not a port number")
    return int(value)


def url(service):
    "The URL of the simulator of service, as the demo's endpoint holds it"
    return f'http://127.0.0.1:{port(service)}{PORTS[service][2]}'


def simulators():
    "The service apps of the tests, by service"
    from connector_laposte.tests.servers import LaPosteService
    from connector_xroad.tests.servers import MinistryService
    return {
        'laposte': LaPosteService(),
        'xroad': MinistryService(),
        'sms': SmsGateway(sms_log()),
        }


def check_free(number):
    "Raise OSError (EADDRINUSE) if another program listens on the port"
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(('127.0.0.1', number))


def start():
    """Start every simulator on its port; raise PortError naming the port
    and its variable when one is taken (nothing is left running)"""
    from connector.tests.servers import LocalServer
    servers = []
    try:
        for service, app in simulators().items():
            server = LocalServer(app, port(service))
            try:
                check_free(server.port)
                server.start()
            except (OSError, SystemExit) as error:
                # werkzeug exits when another server took the port since
                if isinstance(error, OSError) and (
                        error.errno != errno.EADDRINUSE):
                    raise
                variable = PORTS[service][0]
                where = ("the demo sets it at its start" if service == 'sms'
                    else f"give the demo's {NAMES[service]} endpoint that "
                    f"port (Connecteurs > Points d'accès)")
                raise PortError(
                    f"port {server.port} of 127.0.0.1 is already in use "
                    f"(another demo?): stop what listens there, or choose "
                    f"another port with {variable}=<port> ({where})"
                    ) from None
            servers.append(server)
    except Exception:
        for server in servers:
            server.stop()
        raise
    return servers


def main():
    try:
        servers = start()
    except PortError as error:
        print(f"!! Partner simulators not started: {error}", file=sys.stderr)
        return 1
    for service in PORTS:
        print(f"== {NAMES[service]} simulator at {url(service)}")
    print(f"== The SMS to the citizens are written to {sms_log()}")
    print("== Partner simulators ready", flush=True)
    stop = threading.Event()
    # Started in the background by demo.sh, SIGINT is ignored: both stop
    for number in [signal.SIGTERM, signal.SIGINT]:
        signal.signal(number, lambda *args: stop.set())
    # a timed wait, so that the main thread runs the handlers
    while not stop.wait(0.5):
        pass
    for server in servers:
        server.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
