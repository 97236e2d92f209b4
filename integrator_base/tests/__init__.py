from . import (
    test_capture_orders,
    test_capture_products,
    test_capture_stock,
    test_manual_sync,
    test_security,
)
