"""Views that the web client can show: sao has no list column for
date-times, which must be shown with widget="date" and/or widget="time";
a field shown twice in a list (its date, then its time) has two headers."""
from collections import Counter

import pytest
from lxml import etree

from trytond.pool import Pool
from trytond.tests.test_tryton import (
    activate_module,
    drop_db,
    with_transaction,
)

from translation_tools import addons

ADDONS = addons()


@pytest.fixture(scope='module')
def database():
    activate_module(ADDONS)
    yield
    drop_db()


def tree_views():
    "The list views of our addons: (view, model, arch)"
    pool = Pool()
    View = pool.get('ir.ui.view')
    for view in View.search([
                ('module', 'in', ADDONS), ('type', 'in', ['tree', None])]):
        arch = etree.fromstring(view.arch)
        if view.type is None and arch.tag != 'tree' and not view.inherit:
            continue
        # extensions of forms and boards (boards have no model)
        if view.inherit and view.inherit.type != 'tree':
            continue
        Model = pool.get(view.model)
        yield view, Model, arch


@with_transaction()
def tree_datetime_columns_without_widget():
    wrong = []
    for view, Model, arch in tree_views():
        for field in arch.iter('field'):
            name = field.get('name')
            if (name in Model._fields
                    and Model._fields[name]._type in {
                        'datetime', 'timestamp'}
                    and not field.get('widget')):
                wrong.append(f'{view.module}.{view.name}: {name}')
            # Tryton's timestamps (create_date) show microseconds
            if (field.get('widget') == 'time' and name in Model._fields
                    and '%f' in str(getattr(
                            Model._fields[name], 'format', ''))):
                wrong.append(f'{view.module}.{view.name}: {name} (%f)')
    return wrong


@with_transaction()
def tree_doubled_headers():
    "Columns of one field shown twice under the same header"
    wrong = []
    for view, _, arch in tree_views():
        headers = Counter(
            (field.get('name'), field.get('string'))
            for field in arch.iter('field'))
        wrong.extend(f'{view.module}.{view.name}: {name}'
            for (name, string), count in headers.items() if count > 1)
    return wrong


def test_list_datetime_columns_have_a_widget(database):
    wrong = tree_datetime_columns_without_widget()
    assert not wrong, (
        "date-time columns in lists need widget=\"date\" or \"time\", "
        "and times to the second: "
        + ', '.join(wrong))


def test_list_columns_have_their_own_header(database):
    wrong = tree_doubled_headers()
    assert not wrong, (
        "a field shown twice in a list needs a string on one of its "
        "columns (e.g. string=\"Time Sent\"): " + ', '.join(wrong))
