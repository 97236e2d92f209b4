from . import test_account
from . import test_listing
from . import test_stock_rule
from . import test_catalog
