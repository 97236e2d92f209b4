from . import test_site_contract
