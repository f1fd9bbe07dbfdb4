# Agents of the network: staff records, site assignments, skills, trainings,
# certifications and compliance. Models are registered in tryton.cfg.
