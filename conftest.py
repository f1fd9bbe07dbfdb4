"""Checks of the whole test run (every addon and the repository tests)"""
import os
import pathlib
import sys

import pytest

# The skips a run expects, by reason, with the backend where each is
# expected: any other skip (Chromium or hadolint missing, a library not
# installed...) fails the run when ESS_STRICT_SKIPS is set, as in CI
EXPECTED_SKIPS = {
    "the demo server runs on SQLite": 'postgresql',
    "the production set-up runs on PostgreSQL": 'sqlite',
    "concurrent numbering needs PostgreSQL": 'sqlite',
    "PostgreSQL takes a pooled connection per use": 'postgresql',
    "SQLite has no connection pool": 'sqlite',
    }
_unexpected_skips = []


def _backend():
    uri = os.environ.get('TRYTOND_DATABASE__URI', 'sqlite://')
    return 'postgresql' if uri.startswith('postgresql') else 'sqlite'


def pytest_configure(config):
    "Build and cache the tests' databases (tests/module_databases.py)"
    sys.path.insert(0, str(pathlib.Path(__file__).parent / 'tests'))
    import module_databases
    module_databases.install()


def pytest_runtest_logreport(report):
    if not report.skipped or not isinstance(report.longrepr, tuple):
        return
    reason = report.longrepr[2].removeprefix('Skipped: ')
    if EXPECTED_SKIPS.get(reason) != _backend():
        _unexpected_skips.append(f"{report.nodeid}: {reason}")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    if _unexpected_skips and os.environ.get('ESS_STRICT_SKIPS'):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    if _unexpected_skips:
        strict = bool(os.environ.get('ESS_STRICT_SKIPS'))
        terminalreporter.section(
            "unexpected skips" + (" (fail the run)" if strict else ""))
        for line in _unexpected_skips:
            terminalreporter.line(line)
