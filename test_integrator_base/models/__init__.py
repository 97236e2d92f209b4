from . import integration_tables
