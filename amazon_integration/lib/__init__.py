"""Pure-Python helpers of the Amazon connector: feeds, processing reports, throttling.

Nothing in this package imports Odoo; the modules import each other relatively.
"""
