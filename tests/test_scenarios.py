"""Bridge: run every addon's scenario doctests (tests/scenario_*.rst) under
pytest, the way Tryton's own load_doc_tests runs them."""
import doctest
import io
import pathlib
import unittest

import pytest

from trytond import backend
from trytond.tests.test_tryton import (
    STRIP_DECIMAL,
    doctest_checker,
    doctest_setup,
    doctest_teardown,
)

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCENARIOS = sorted(ROOT.glob('addons/*/tests/scenario_*.rst'))


@pytest.mark.parametrize(
    'path', SCENARIOS,
    ids=[f'{p.parent.parent.name}/{p.name}' for p in SCENARIOS])
def test_scenario(path):
    optionflags = (doctest.REPORT_ONLY_FIRST_FAILURE
        | doctest.ELLIPSIS | doctest.IGNORE_EXCEPTION_DETAIL)
    if backend.name == 'sqlite':
        optionflags |= STRIP_DECIMAL
    suite = doctest.DocFileSuite(
        str(path), module_relative=False, encoding='utf-8',
        setUp=doctest_setup, tearDown=doctest_teardown,
        checker=doctest_checker, optionflags=optionflags)
    output = io.StringIO()
    result = unittest.TextTestRunner(stream=output, verbosity=0).run(suite)
    assert result.testsRun == 1
    assert result.wasSuccessful(), output.getvalue()
