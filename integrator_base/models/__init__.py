from . import (
    account_move,
    capture,
    integration_mixin,
    integration_site,
    order_integration,
    product,
    product_integration,
    res_config_settings,
    sale_order,
    stock,
)
