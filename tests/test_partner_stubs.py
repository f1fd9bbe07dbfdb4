"""The partners' simulators of the demo (scripts/partner_stubs.py) answer
the connectors' test of the connection with the demo's credentials, the
SMS gateway writes the SMS it receives to its log, and a port already taken
stops them with a message naming its variable."""
import json
import socket
import sys
import urllib.error
import urllib.request

import pytest

from browser_tools import ROOT, free_port

sys.path.insert(0, str(ROOT / 'scripts'))
import partner_stubs  # noqa: E402


@pytest.fixture
def ports(monkeypatch, tmp_path):
    ports = {'laposte': free_port(), 'xroad': free_port(), 'sms': free_port()}
    monkeypatch.setenv('ESS_LAPOSTE_PORT', str(ports['laposte']))
    monkeypatch.setenv('ESS_XROAD_PORT', str(ports['xroad']))
    monkeypatch.setenv('ESS_SMS_PORT', str(ports['sms']))
    monkeypatch.setenv('ESS_SMS_LOG', str(tmp_path / 'log' / 'sms.log'))
    return ports


def post(url, payload, key=None):
    "The status and JSON answer of a POST"
    request = urllib.request.Request(
        url, data=payload if isinstance(payload, bytes)
        else json.dumps(payload).encode(),
        headers={'Content-Type': 'application/json',
            **({'Idempotency-Key': key} if key else {})})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


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


def test_sms_gateway_writes_the_log(ports):
    "Each SMS once in a readable log; what is not an SMS is refused"
    servers = partner_stubs.start()
    try:
        url = partner_stubs.url('sms')
        assert url == f"http://127.0.0.1:{ports['sms']}/sms"
        message = {
            'id': 'case-notification-7', 'channel': 'sms',
            'recipient': '+221 77 123 45 67', 'case': 'ZIG-2026-000007',
            'event': 'delivered',
            'text': "Espace Sénégal Services de Ziguinchor : dossier "
            "ZIG-2026-000007 remis. Merci !"}
        assert post(url, message, 'case-notification-7') == (
            200, {'status': 'sent', 'id': 'case-notification-7'})
        # a retry of the same message is not sent again
        assert post(url, message, 'case-notification-7')[1]['status'] == (
            'duplicate')
        assert post(url, {**message, 'text': "Prêt"}, 'other') == (
            200, {'status': 'sent', 'id': 'other'})
        assert post(url, b'pas du JSON')[0] == 400
        assert post(url, {'recipient': '+221 77 123 45 67'})[0] == 400
        assert post(url.replace('/sms', '/autre'), message)[0] == 404
        lines = partner_stubs.sms_log().read_text().splitlines()
        assert len(lines) == 4
        assert lines[0].endswith(
            " SMS à +221 77 123 45 67 (ZIG-2026-000007, delivered, "
            "78 caractères GSM)")
        assert lines[1] == "    " + message['text']
        assert lines[2].endswith(" SMS à +221 77 123 45 67 ("
            "ZIG-2026-000007, delivered, 4 caractères UCS-2)")
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
