from . import integration_sync_wizard
