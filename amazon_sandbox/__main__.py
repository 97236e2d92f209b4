"""`python -m amazon_sandbox --port 8765 --data-dir DIR ...` (see README.md)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path

from .registry import Config
from .sellers import parse_seller_option


def parse_args(argv=None) -> tuple[Config, list]:
    parser = argparse.ArgumentParser(prog="python -m amazon_sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--data-dir", required=True, type=Path, help="where the SQLite state lives")
    parser.add_argument(
        "--seller",
        action="append",
        default=[],
        metavar="SELLER_ID:ACCESS_KEY:SECRET_KEY[:MARKETPLACE_ID]",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="sandbox seconds per real second (60 = an hour a minute)",
    )
    parser.add_argument("--no-throttle", action="store_true", help="lift every throttling limit")
    parser.add_argument(
        "--xsd-dir", type=Path, help="validate feeds against amzn-envelope.xsd here"
    )
    parser.add_argument(
        "--spapi-models",
        metavar="DIR",
        help="Amazon's SP-API models (rate limits); default: $AMAZON_SPAPI_MODELS or "
        "../shared/amazon/sp-api/models when present; 'none': the built-in defaults",
    )
    parser.add_argument("--demo-orders", type=int, default=0, metavar="N")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--payment-hold-minutes", type=float, default=30.0, metavar="M")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    if args.time_scale <= 0:
        parser.error("--time-scale must be positive")
    if args.xsd_dir and not (args.xsd_dir / "amzn-envelope.xsd").exists():
        parser.error(f"--xsd-dir: no amzn-envelope.xsd in {args.xsd_dir}")
    if args.spapi_models not in (None, "", "none") and not Path(args.spapi_models).is_dir():
        parser.error(f"--spapi-models: no directory {args.spapi_models}")
    try:
        sellers = [parse_seller_option(text) for text in args.seller]
    except ValueError as exc:
        parser.error(str(exc))
    config = Config(
        data_dir=args.data_dir,
        host=args.host,
        port=args.port,
        time_scale=args.time_scale,
        no_throttle=args.no_throttle,
        xsd_dir=args.xsd_dir,
        demo_orders=args.demo_orders,
        seed=args.seed,
        payment_hold_minutes=args.payment_hold_minutes,
        spapi_models=args.spapi_models,
    )
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return config, sellers


def _interrupt(signum, frame):
    """SIGTERM stops the server like Ctrl-C: the clock offset is saved on the way out."""
    raise KeyboardInterrupt


def main(argv=None) -> int:
    config, sellers = parse_args(argv)
    from .server import build_state, make_server, tick

    state = build_state(config, sellers)
    httpd = make_server(state)
    host, port = httpd.server_address[:2]
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"listening on http://{host}:{port}", flush=True)
    try:
        httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
        tick(state)
        state.store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
