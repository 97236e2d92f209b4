from . import test_account
from . import test_listing
from . import test_stock_rule
from . import test_catalog
from . import test_order_feeds
from . import test_settlement
from . import test_order_import
from . import test_fba
