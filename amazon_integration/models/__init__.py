from . import (
    amazon_account,
    amazon_api_log,
    amazon_marketplace,
    amazon_quota_bucket,
    integration_tables,
    res_config_settings,
)
