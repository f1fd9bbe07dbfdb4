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

