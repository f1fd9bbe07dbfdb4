# La Poste over SOAP (zeep, WSDL kept in this addon): postal delivery of
# case documents and money orders, tracked until paid or delivered.
# Models are registered in tryton.cfg.
