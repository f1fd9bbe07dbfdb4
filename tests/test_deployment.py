"""The docker/ files: linted and checked without a Docker engine."""
import os
import pathlib
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCKER = ROOT / 'docker'
HADOLINT = shutil.which('hadolint') or str(
    pathlib.Path(sys.executable).parent / 'hadolint')


@pytest.mark.parametrize('name', ['Dockerfile', 'proxy.Dockerfile'])
def test_dockerfile_lint(name):
    if not os.path.exists(HADOLINT):
        pytest.skip("hadolint is not installed")
    result = subprocess.run(
        [HADOLINT, '--no-color', str(DOCKER / name)],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_configuration_from_environment():
    dockerfile = (DOCKER / 'Dockerfile').read_text()
    assert 'HEALTHCHECK' in dockerfile
    assert 'VOLUME ["/var/lib/trytond"]' in dockerfile
    # no configuration file and no secret baked into the image
    assert 'trytond.conf' not in dockerfile
    assert 'PASSWORD' not in dockerfile.upper().replace(
        'POSTGRES_PASSWORD_FILE', '')


def test_compose_services():
    compose = yaml.safe_load((DOCKER / 'compose.yaml').read_text())
    services = compose['services']
    assert {'postgres', 'admin', 'web1', 'web2', 'proxy', 'worker',
        'cron'} <= set(services)
    for name in ['web1', 'web2']:
        assert services[name]['command'] == ['web']
        # trytond trusts the proxy's X-Forwarded-For, and only its
        assert services[name]['environment'][
            'TRYTOND_WEB__NUM_PROXIES'] == '1'
        assert 'ports' not in services[name]
    proxy = services['proxy']
    assert proxy['build']['dockerfile'] == 'docker/proxy.Dockerfile'
    assert {proxy['environment']['ESS_WEB1'],
        proxy['environment']['ESS_WEB2']} == {'web1:8000', 'web2:8000'}
    assert services['worker']['command'] == ['worker']
    assert services['cron']['command'] == ['cron']
    assert 'healthcheck' in services['postgres']
    for name, service in services.items():
        environment = service.get('environment', {})
        for key, value in environment.items():
            # the [password] section holds the policy, not a secret
            secret = 'PASSWORD' in key.replace('TRYTOND_PASSWORD__', '')
            assert not secret or key.endswith('_FILE'), (
                f"{name}: secret {key} given in clear")
            assert '://' not in str(value) or '@' not in str(value), (
                f"{name}: credentials in {key}")
    assert set(compose['secrets']) == {
        'postgres_password', 'database_uri', 'admin_password'}
    assert 'attachments' in compose['volumes']


def test_entrypoint_reads_secret_files(tmp_path):
    secret = tmp_path / 'database_uri'
    secret.write_text('postgresql://ess:s3cret@postgres:5432/')
    env = {'PATH': os.environ['PATH'],
        'TRYTOND_DATABASE__URI_FILE': str(secret)}
    result = subprocess.run(
        ['sh', str(DOCKER / 'entrypoint.sh'), 'env'],
        capture_output=True, text=True, env=env, check=True)
    variables = dict(
        line.split('=', 1) for line in result.stdout.splitlines()
        if '=' in line)
    assert variables['TRYTOND_DATABASE__URI'] == (
        'postgresql://ess:s3cret@postgres:5432/')
    assert 'TRYTOND_DATABASE__URI_FILE' not in variables
    assert variables['TRYTOND_DATABASE_NAMES'] == 'ess'


def test_entrypoint_admin_activates_every_addon(tmp_path):
    "The admin command activates or upgrades every addon of the package"
    fake = tmp_path / 'trytond-admin'
    fake.write_text('#!/bin/sh\necho "$@"\n')
    fake.chmod(0o755)
    env = {'PATH': f'{tmp_path}:{pathlib.Path(sys.executable).parent}:'
        + os.environ['PATH']}
    result = subprocess.run(
        ['sh', str(DOCKER / 'entrypoint.sh'), 'admin'],
        capture_output=True, text=True, env=env, check=True)
    arguments = result.stdout.split()
    assert arguments[:2] == ['-d', 'ess']
    assert '--activate-dependencies' in arguments
    addons = arguments[arguments.index('-u') + 1:]
    assert 'service_network' in addons


def test_proxy_configuration_is_valid(tmp_path):
    "HAProxy accepts docker/haproxy.cfg as the production test runs it"
    haproxy = shutil.which('haproxy') or '/usr/sbin/haproxy'
    if not os.path.exists(haproxy):
        pytest.fail("HAProxy is missing: scripts/test.sh installs "
            "Debian's haproxy")
    env = {'PATH': os.environ['PATH'], 'ESS_PROXY_BIND': '127.0.0.1:18000',
        'ESS_PROXY_STATS': '127.0.0.1:18404', 'ESS_WEB1': '127.0.0.1:18001',
        'ESS_WEB2': '127.0.0.1:18002'}
    result = subprocess.run([haproxy, '-c', '-f', DOCKER / 'haproxy.cfg'],
        capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    servers = [line.split()[1] for line in
        (DOCKER / 'haproxy.cfg').read_text().splitlines()
        if line.strip().startswith('server ')]
    assert servers == ['web1', 'web2']
