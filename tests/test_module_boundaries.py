"""Module boundaries: only service_case reads and writes its tables in SQL.

Other addons get cases, fees, history and tickets through the ORM or
through service_case's query builders (service_case/events.py), so that a
state renamed or a history stored differently cannot break them silently.

What is refused in every Python file of an addon other than service_case
(tests included):
- ``X.__table__()``, ``X._table`` or ``X.__table_handler__()`` where X was
  bound to ``<anything>.get('case.…')`` (``pool.get``, ``Pool().get``) in
  the same file, or written directly on such a call;
- ``cls.__table__()`` (and the others) inside a class extending a
  ``case.…`` model (``__name__ = 'case.…'``);
- a string naming one of service_case's tables as a word (``case_case``,
  ``case_fee``, …: every model named ``case.…`` in service_case, dots
  made underscores), as SQL text or ``sql.Table('case_fee')`` would.
Using the models through the ORM (``Case.search``, ``Case(id).state``,
``fields.Many2One('case.case', …)``) is not touched by these checks.
"""
import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
ADDONS_DIR = ROOT / 'addons'
OWNER = 'service_case'
PREFIX = 'case.'
TABLE_ACCESS = {'__table__', '_table', '__table_handler__'}


def owned_models():
    "The names of the models service_case defines"
    names = set()
    for path in (ADDONS_DIR / OWNER).glob('*.py'):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == '__name__'
                        for t in node.targets)
                    and isinstance(node.value, ast.Constant)
                    and str(node.value.value).startswith(PREFIX)):
                names.add(node.value.value)
    return names


MODELS = owned_models()
TABLES = re.compile(r'\b(%s)\b' % '|'.join(
        sorted(re.escape(m.replace('.', '_')) for m in MODELS)))


def _is_case_get(node):
    "Whether node is a call <anything>.get('case.…')"
    return (isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute) and node.func.attr == 'get'
        and node.args and isinstance(node.args[0], ast.Constant)
        and node.args[0].value in MODELS)


def _extends_case_model(cls):
    return any(
        isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == '__name__'
            for t in node.targets)
        and isinstance(node.value, ast.Constant)
        and node.value.value in MODELS
        for node in cls.body)


def violations(source, filename='<source>'):
    "Return the (line, text) of each use of service_case's tables"
    tree = ast.parse(source, filename)
    bound = {
        target.id
        for node in ast.walk(tree) if isinstance(node, ast.Assign)
        and _is_case_get(node.value)
        for target in node.targets if isinstance(target, ast.Name)}
    found = []

    def check(node, owner_names):
        if (isinstance(node, ast.Attribute) and node.attr in TABLE_ACCESS
                and ((isinstance(node.value, ast.Name)
                        and node.value.id in owner_names)
                    or _is_case_get(node.value))):
            found.append((node.lineno, ast.unparse(node)))
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and TABLES.search(node.value)):
            found.append((node.lineno, TABLES.search(node.value).group()))
        if isinstance(node, ast.ClassDef) and _extends_case_model(node):
            owner_names = owner_names | {'cls', 'self'}
        for child in ast.iter_child_nodes(node):
            check(child, owner_names)

    check(tree, bound)
    return found


def other_addon_files():
    return sorted(
        path for path in ADDONS_DIR.glob('*/**/*.py')
        if path.relative_to(ADDONS_DIR).parts[0] != OWNER)


def test_models_found():
    assert {'case.case', 'case.fee', 'case.history', 'case.ticket'} <= MODELS


@pytest.mark.parametrize('source, expected', [
        ("Case = pool.get('case.case')\ncase = Case.__table__()", 1),
        ("Fee = Pool().get('case.fee')\nFee._table", 1),
        ("t = Pool().get('case.history').__table__()", 1),
        ("cursor.execute('SELECT id FROM case_case')", 1),
        ("Table('case_ticket')", 1),
        ("class Case(metaclass=PoolMeta):\n"
            "    __name__ = 'case.case'\n"
            "    def f(cls):\n"
            "        return cls.__table__()", 1),
        # the ORM and the public interface are fine
        ("Case = pool.get('case.case')\nCase.search([])", 0),
        ("Line = pool.get('billing.line.case')\nLine.__table__()", 0),
        ("fields.Many2One('case.case', 'Case')", 0),
        ("from service_case.events import billable_events", 0),
        ("class Case(metaclass=PoolMeta):\n"
            "    __name__ = 'case.case'\n"
            "    def f(cls):\n"
            "        return cls.search([])", 0),
        ("'case_number'", 0),
        ])
def test_violations_detected(source, expected):
    assert len(violations(source)) == expected


@pytest.mark.parametrize(
    'path', other_addon_files(),
    ids=lambda p: str(p.relative_to(ADDONS_DIR)))
def test_no_case_tables_outside_service_case(path):
    found = violations(path.read_text(), str(path))
    assert not found, (
        f"{path.relative_to(ROOT)} uses service_case's tables; use "
        "service_case.events or the ORM instead: " + ', '.join(
            f"line {line}: {text}" for line, text in found))
