# Billing of partner administrations: agreements and fee schedules, monthly
# billing runs to customer invoices, remittances of the fees collected on
# the partners' behalf, finance views. Models are registered in tryton.cfg.
