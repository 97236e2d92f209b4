"""amazon_sandbox: a standalone Amazon MWS sandbox (Feeds, Reports, Orders, Sellers).

Run with `python -m amazon_sandbox --help`. See README.md beside this file.
"""

__version__ = "0.1.0"
