"""The ``securitycam`` command."""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from pathlib import Path

from securitycam.system.logs import CONSOLE, log_to_console, setup_logging

log = logging.getLogger("securitycam.cli")


def lan_address() -> str | None:
    """This machine's address on its LAN (the one its default route uses), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # a documentation address: a UDP connect sends nothing
            return str(probe.getsockname()[0])
        except OSError:
            return None


def listen_description(host: str, port: int) -> str:
    """Where a browser reaches ``host:port``, in words: the LAN URL as well when on every interface."""
    if host in ("", "0.0.0.0", "::"):
        lan = lan_address()
        here = f"http://127.0.0.1:{port}"
        return f"every interface, port {port}: {here}" + (f", http://{lan}:{port} from the LAN" if lan else "")
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _serve(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir).expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    setup_logging(data_dir / "logs")
    log_to_console()
    log.info("listening on %s", listen_description(args.host, args.port), extra=CONSOLE)
    if args.dev:
        from securitycam.app import create_app

        # werkzeug's request log prints query strings, and EventSource sends its token in one.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        app = create_app(data_dir)
        try:
            app.run(host=args.host, port=args.port, threaded=True, use_reloader=False)
        finally:
            app.extensions["securitycam"].stop()
        return 0
    from securitycam.server import ApplianceServer

    ApplianceServer(data_dir, args.host, args.port, threads=args.threads, sse_clients=args.sse_clients,
                   idle_timeout=args.idle_timeout).run()
    return 0


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="securitycam", description="Raspberry Pi security camera appliance")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the appliance (API, recorder, sensors)")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    serve.add_argument("--port", type=int, default=5005, help="port (default 5005)")
    serve.add_argument("--data-dir", default="./data", help="settings, database, recordings, logs")
    serve.add_argument("--threads", type=positive, default=16, help="threads for API requests (default 16)")
    serve.add_argument("--sse-clients", type=positive, default=200,
                       help="live event streams at once; each holds a thread of its own (default 200)")
    serve.add_argument("--idle-timeout", type=positive, default=15,
                       help="seconds before a connection that sends nothing (half a request, idle keep-alive) "
                            "is closed (default 15)")
    serve.add_argument("--dev", action="store_true", help="Flask's development server instead of waitress")
    serve.set_defaults(func=_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
