"""Notifications shown in the web client's bell to the people responsible
for a site or holding a role."""
from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.transaction import Transaction


def site_managers(site):
    """Return the active users who manage site: the site managers who work
    there and the users of its manager employee"""
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    group = ModelData.get_id('service_network', 'group_site_manager')
    domain = [('groups', '=', group), ('sites', '=', site.id)]
    if site.manager:
        domain = ['OR', domain, ('employees', '=', site.manager.id)]
    return User.search(domain, order=[('id', 'ASC')])


def group_users(module, group_xml_id):
    "Return the active users of the group module.group_xml_id"
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    group = ModelData.get_id(module, group_xml_id)
    return User.search([('groups', '=', group)], order=[('id', 'ASC')])


def notify(users, records, message, description=None,
        icon='tryton-warning', **variables):
    """Notify each of users about records with the ir.message message (a
    'module.id' string) in the user's own language; the notification
    opens the records"""
    if not records:
        return
    Model = records[0].__class__
    done = set()
    for user in users:
        if user.id in done:
            continue
        done.add(user.id)
        language = user.language.code if user.language else None
        with Transaction().set_context(language=language):
            label = gettext(message, **variables)
        Model.notify_user(
            records, icon, label, description=description, user=user.id)
