"""Serve the partners' simulators of the connector tests on 127.0.0.1, for
the demo: La Poste's SOAP service and the Justice ministry's REST service
behind X-Road, so that the demo's endpoints answer, its outbox sends and
"Tester la connexion" succeeds.

    python scripts/partner_stubs.py     # until Ctrl-C or SIGTERM

The services are those of the tests (connector_laposte.tests.servers,
connector_xroad.tests.servers), with their credentials: the demo and the
tests run the same code. Ports: ESS_LAPOSTE_PORT (default 8091) and
ESS_XROAD_PORT (default 8092); the demo's endpoints are created with the
ports of the environment of the demo's creation.
"""
import errno
import os
import signal
import socket
import sys
import threading

PORTS = {
    # service: (environment variable, default port, path of the endpoint)
    'laposte': ('ESS_LAPOSTE_PORT', 8091, '/ess'),
    'xroad': ('ESS_XROAD_PORT', 8092, ''),
    }
NAMES = {
    'laposte': "La Poste (SOAP)",
    'xroad': "Justice par X-Road (REST)",
    }


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
    return {'laposte': LaPosteService(), 'xroad': MinistryService()}


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
                raise PortError(
                    f"port {server.port} of 127.0.0.1 is already in use "
                    f"(another demo?): stop what listens there, or choose "
                    f"another port with {variable}=<port> and give the "
                    f"demo's {NAMES[service]} endpoint that port "
                    f"(Connecteurs > Points d'accès)") from None
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
