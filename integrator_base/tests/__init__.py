from . import test_capture_products
from . import test_capture_stock
from . import test_capture_orders
from . import test_manual_sync
from . import test_security
