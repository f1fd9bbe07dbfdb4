"""Views that the web client can show: sao has no list column for
date-times, which must be shown with widget="date" and/or widget="time"."""
import pytest
from lxml import etree
from translation_tools import addons

from trytond.pool import Pool
from trytond.tests.test_tryton import (
    activate_module, drop_db, with_transaction)

ADDONS = addons()


@pytest.fixture(scope='module')
def database():
    activate_module(ADDONS)
    yield
    drop_db()


@with_transaction()
def tree_datetime_columns_without_widget():
    pool = Pool()
    View = pool.get('ir.ui.view')
    wrong = []
    for view in View.search([
                ('module', 'in', ADDONS), ('type', 'in', ['tree', None])]):
        arch = etree.fromstring(view.arch)
        if view.type is None and arch.tag != 'tree' and not view.inherit:
            continue
        # extensions of forms and boards (boards have no model)
        if view.inherit and view.inherit.type != 'tree':
            continue
        Model = pool.get(view.model)
        for field in arch.iter('field'):
            name = field.get('name')
            if (name in Model._fields
                    and Model._fields[name]._type in {
                        'datetime', 'timestamp'}
                    and not field.get('widget')):
                wrong.append(f'{view.module}.{view.name}: {name}')
    return wrong


def test_list_datetime_columns_have_a_widget(database):
    wrong = tree_datetime_columns_without_widget()
    assert not wrong, (
        "date-time columns in lists need widget=\"date\" or \"time\": "
        + ', '.join(wrong))
