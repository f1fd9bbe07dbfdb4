# The daily work at a site: queue tickets, cases and their workflow, the
# delay in working days, document checklists, fees and receipts,
# notifications, satisfaction, complaints and indicators.
# Models are registered in tryton.cfg; importing routes adds the public
# satisfaction page and the waiting room's pages (display screens, kiosks,
# the visitor's ticket), the case tracking (page and SMS) and the published
# results to trytond's WSGI application.
from . import (
    appointment_pages,
    results_pages,
    routes,
    tracking_pages,
    waiting_pages,
)

__all__ = ['appointment_pages', 'results_pages', 'routes', 'tracking_pages',
    'waiting_pages']
