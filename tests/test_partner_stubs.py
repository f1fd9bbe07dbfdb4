"""The partners' simulators of the demo (scripts/partner_stubs.py) answer
the connectors' test of the connection with the demo's credentials, and a
port already taken stops them with a message naming its variable."""
import socket
import sys

import pytest
from browser_tools import ROOT, free_port

sys.path.insert(0, str(ROOT / 'scripts'))
import partner_stubs  # noqa: E402


@pytest.fixture
def ports(monkeypatch):
    ports = {'laposte': free_port(), 'xroad': free_port()}
    monkeypatch.setenv('ESS_LAPOSTE_PORT', str(ports['laposte']))
    monkeypatch.setenv('ESS_XROAD_PORT', str(ports['xroad']))
    return ports


def test_simulators_answer_the_demo_endpoints(ports):
    from connector_laposte.client import LaPosteClient
    from connector_laposte.tests.servers import PASSWORD, USERNAME
    from connector_xroad.client import XRoadClient
    from connector_xroad.tests.servers import CLIENT, SERVICE, TOKEN
    servers = partner_stubs.start()
    try:
        assert partner_stubs.url('laposte') == (
            f"http://127.0.0.1:{ports['laposte']}/ess")
        LaPosteClient(
            partner_stubs.url('laposte'), USERNAME, PASSWORD, 5).check()
        XRoadClient(
            partner_stubs.url('xroad'), CLIENT, SERVICE, TOKEN, 5).check()
    finally:
        for server in servers:
            server.stop()


def test_port_in_use(ports):
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', ports['xroad']))
        taken.listen()
        with pytest.raises(partner_stubs.PortError) as refusal:
            partner_stubs.start()
    assert str(ports['xroad']) in str(refusal.value)
    assert 'ESS_XROAD_PORT' in str(refusal.value)
    # the La Poste simulator started first was stopped: its port is free
    with socket.socket() as again:
        again.bind(('127.0.0.1', ports['laposte']))


def test_bad_port(monkeypatch):
    monkeypatch.setenv('ESS_LAPOSTE_PORT', 'huit')
    with pytest.raises(partner_stubs.PortError) as refusal:
        partner_stubs.url('laposte')
    assert 'ESS_LAPOSTE_PORT' in str(refusal.value)
