"""The implementations of the capabilities, by the name an account stores (``amazon_api``)."""

from .mws_api import MwsApi

IMPLEMENTATIONS = {MwsApi.name: MwsApi}
