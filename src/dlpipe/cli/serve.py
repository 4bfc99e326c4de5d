"""``dlpipe serve [PROJECT ...]``: load the bundles (and their drift references), then serve them
with uvicorn (one process) until SIGINT or SIGTERM. Bad params or a missing bundle print one
line and exit 2."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from dlpipe.cli.options import (command_parser, drift_params, params_option, read_params, refuse,
                                root_option)
from dlpipe.errors import DataError, DlpipeError, ParamsError

log = logging.getLogger("dlpipe.serve")


def _parser() -> argparse.ArgumentParser:
    parser = command_parser("serve", "Serve the projects' inference bundles over HTTP: the "
        "Open Inference Protocol (/v2/...), TensorFlow Serving's REST predict (/v1/...), "
        "a drift check of the rows served (/v2/models/PROJECT/drift), feedback labels "
        "(/v2/models/PROJECT/feedback), Prometheus figures (/metrics) and docs at /docs. Every "
        "answer goes to the prediction log (serve.monitor). Stop it with Ctrl-C or SIGTERM.")
    parser.add_argument("projects", nargs="*", metavar="PROJECT",
                        help="projects to serve (default: every project with a bundle under "
                             "models/)")
    parser.add_argument("--host", default=None, help="address to listen on (default serve.host)")
    parser.add_argument("--port", type=int, default=None, help="port (default serve.port)")
    params_option(parser, ": its serve section and each project's drift section")
    root_option(parser)
    parser.add_argument("--challenger", action="append", default=[], metavar="PROJECT=DIR",
                        help="a second bundle of PROJECT, from the repository DIR (another git "
                             "revision's working tree, a DVC experiment's), answering a share of "
                             "its requests or shadowing them (serve.challenger; repeatable)")
    parser.add_argument("--access-log", action="store_true", help="log every request")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        params = read_params(args.params)
        limits = params.serve
        port = limits.port if args.port is None else args.port
        if not 0 < port < 65536:
            raise ParamsError(f"--port: expected a port 1..65535, got {port}")
        host = args.host or limits.host
        check_free(host, port)
        from dlpipe.monitoring.monitor import open_monitor
        from dlpipe.serving.server import create_app
        from dlpipe.serving.watch import watches

        bundles = load(args.projects, args.root)
        checks = watches(bundles, drift_params(params, list(bundles)), args.root)
        monitors = {project: open_monitor(bundle, limits.monitor, checks[project].reference,
                                          args.root, "serve")
                    for project, bundle in bundles.items()}
        challengers = load_challengers(args.challenger, bundles, limits.challenger)
        app = create_app(bundles, limits, checks, monitors, challengers)
    except DlpipeError as exc:
        return refuse(exc)
    import uvicorn

    uvicorn.run(app, host=host, port=port, workers=1,
                access_log=args.access_log, log_level="info")
    return 0


def check_free(host: str, port: int) -> None:
    """Refuse, before any bundle is loaded, an address another process listens on (the
    server would otherwise load everything and then fail in uvicorn's words)."""
    import errno
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise DataError(f"{host}:{port}: the port is in use (another server?): stop it, or "
                            "serve on another port (--port, serve.port)") from None
        raise DataError(f"{host}:{port}: cannot listen there ({exc.strerror or exc}): is it an "
                        "address of this machine? (--host, serve.host)") from None


def load(projects: list[str], root: str | Path = ".") -> dict:
    """The bundles of ``projects`` under ``root``, or of every project with a bundle under
    ``root/models`` if none is named, each network as a graph
    (:class:`dlpipe.bundle.graph.Graph`), or an MLP's NumPy pass read from its file."""
    from dlpipe.bundle.graph import as_graph
    from dlpipe.bundle.inference import BUNDLE_DIR, load_bundle
    from dlpipe.bundle.files import SCHEMA

    from dlpipe.params.schema import PROJECT_NAME

    # a project's name has no hyphen: models/<p>-network/ and the like are its companions
    found = sorted(p.parent.name for p in Path(root).glob(BUNDLE_DIR.format(project="*") +
                                                          f"/{SCHEMA}")
                   if PROJECT_NAME.match(p.parent.name))
    names = list(dict.fromkeys(projects)) or found
    if not names:
        raise DataError(f"{Path(root) / BUNDLE_DIR.format(project='*')}: no model bundle to "
                        "serve (the select stage writes one per project: `make run`, or "
                        "`python -m dlpipe select PROJECT`)")
    bundles = {name: as_graph(load_bundle(name, root)) for name in names}
    log.info("serving %s", ", ".join(bundles))
    return bundles


def load_challengers(given: list[str], bundles: dict, params) -> dict:
    """The ``--challenger PROJECT=DIR`` bundles, each checked against the served one."""
    from dlpipe.bundle.graph import as_graph
    from dlpipe.bundle.inference import load_bundle
    from dlpipe.serving.traffic import Challenger, check_compatible

    challengers = {}
    for text in given:
        project, sep, where = text.partition("=")
        if not sep or not where:
            raise ParamsError(f"--challenger {text}: expected PROJECT=DIR (the repository "
                              "holding the challenger's models/PROJECT/)")
        if project not in bundles:
            raise ParamsError(f"--challenger {text}: {project!r} is not served "
                              f"(serving {sorted(bundles)})")
        if project in challengers:
            raise ParamsError(f"--challenger {text}: {project!r} has a challenger already")
        bundle = as_graph(load_bundle(project, where))
        check_compatible(bundles[project], bundle)
        challengers[project] = Challenger(bundle, params)
        log.info("%s: challenger %s from %s (%s)", project, bundle.version, where,
                 params.mode if params.mode == "shadow" else f"split, share {params.share}")
    return challengers
