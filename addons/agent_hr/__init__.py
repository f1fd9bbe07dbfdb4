# Agents of the network: staff records, site assignments, skills, trainings,
# certifications, attendance at work and compliance; with service_case, the
# workload per agent and the qualified agents proposed first on cases.
# Models are registered in tryton.cfg.
