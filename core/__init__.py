"""The core floor: the warehouse, the SQL runner, the rule set, reference data and the run log.

Everything else imports from here; nothing here imports from another cohort package."""
