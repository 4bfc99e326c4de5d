"""``dlpipe image [PROJECT ...]``: build dlpipe's container image with podman (``make image``).
The named projects' bundles are copied in; with none, the image serves a working copy mounted
at /srv/dlpipe. A project with no bundle, or no podman, prints one line and exits 2 before
anything is built; a failed build leaves no tag."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from dlpipe.cli.options import command_parser, params_option, read_params, refuse, root_option
from dlpipe.errors import DlpipeError

log = logging.getLogger("dlpipe.image")
WHEELS = ".dlpipe/wheels"  # the locked wheels, gathered once per lock and reused


def _parser():
    parser = command_parser("image", "Build dlpipe's container image with podman: the locked "
        "packages, the dlpipe command as entry point (serve by default), and the bundles of "
        "the projects named (none: mount a working copy at /srv/dlpipe when it runs). Tagged "
        "<container.name>:<git revision> and :latest.")
    parser.add_argument("projects", nargs="*", metavar="PROJECT",
                        help="projects whose bundles are copied into the image")
    parser.add_argument("--no-cache", action="store_true",
                        help="build every layer again (default: reuse podman's layers whose "
                             "inputs are unchanged)")
    params_option(parser, ": its container section, copied into the image as its params.yaml")
    root_option(parser)
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from dlpipe.deploy import podman
    from dlpipe.deploy.image import plan, refuse_uncarried_backends, stage_context

    root = Path(args.root).resolve()
    try:
        params = read_params(args.params)
        refuse_uncarried_backends(params)
        settings = params.container
        image = plan(args.projects, settings, root)
        podman.podman()
        podman.ensure_base(settings.base, root)
        wheels = podman.gather_wheels(root, root / WHEELS, settings.backends)
        with tempfile.TemporaryDirectory(prefix="dlpipe-image-") as context:
            stage_context(image, root, wheels, Path(args.params), Path(context))
            image_id = podman.build(image, settings.base, Path(context), args.no_cache)
    except DlpipeError as exc:
        return refuse(exc)
    size = podman.size_of(image_id)
    bundles = ", ".join(f"{p} ({d[:19]})" for p, d in image.digests().items())
    short_id = image_id.removeprefix("sha256:")[:12]
    print(f"built {' and '.join(image.tags)} ({short_id}, {size / 1e9:.2f} GB); "
          f"bundles: {bundles or 'none (mount a working copy at /srv/dlpipe)'}")
    return 0
