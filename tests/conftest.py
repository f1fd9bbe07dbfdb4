import pathlib
import sys

import pytest

# Helpers shared by the repository tests and scripts
sys.path.insert(0, str(pathlib.Path(__file__).parent))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    "Keep each phase's report on the test, for fixtures to see a failure"
    report = yield
    setattr(item, f'rep_{report.when}', report)
    return report



@pytest.fixture(scope='session')
def browser():
    """Debian's Chromium driven by Playwright, one for the whole run (skips
    where the browser tests cannot run)"""
    from browser_tools import launch_chromium, skip_without_browser
    skip_without_browser()
    with launch_chromium() as browser:
        yield browser


def _viewport(request):
    "The module's VIEWPORT (width, height): a laptop's 1366 x 768 by default"
    return getattr(request.module, 'VIEWPORT', (1366, 768))


@pytest.fixture
def client(browser, server, request):
    """One person in a new French window on the module's server, for one
    test"""
    from browser_tools import browser_client
    with browser_client(
            browser, server, request, *_viewport(request)) as client:
        yield client


@pytest.fixture(scope='module')
def module_client(browser, server, request):
    "One window for the tests of a module that continue one another"
    from browser_tools import browser_client
    with browser_client(
            browser, server, request, *_viewport(request)) as client:
        yield client
