# Reconciliation of partner statements: import profiles, import of Excel
# and CSV statements, matching against the cases, decisions and reports.
# Models are registered in tryton.cfg.
