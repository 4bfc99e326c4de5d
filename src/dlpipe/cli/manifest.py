"""``dlpipe manifest [PROJECT ...]``: the Kubernetes manifests of dlpipe's image, from params'
``container`` section (and ``serve.port``), checked against their schemas before they are
written: a KServe InferenceService (``--kind kserve``, the default) or a Deployment and a
Service (``--kind deployment``). Needs no cluster."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from dlpipe.cli.options import command_parser, params_option, read_params, refuse, root_option
from dlpipe.errors import DlpipeError


def _parser():
    from dlpipe.deploy.manifests import KINDS

    parser = command_parser("manifest", "Write the Kubernetes manifests that run dlpipe's image "
        "(make image) serving the projects named (none: every bundle in the image), checked "
        "offline against the Kubernetes API's schemas.")
    parser.add_argument("projects", nargs="*", metavar="PROJECT",
                        help="projects to serve; their bundles' digests become annotations")
    parser.add_argument("--kind", choices=KINDS, default=KINDS[0],
                        help="kserve: a KServe InferenceService (custom container, Open "
                             "Inference Protocol); deployment: a Deployment and a Service")
    parser.add_argument("--image", default=None, help="the image reference (default "
                        "<container.name>:<git revision>, the tag make image gives it)")
    parser.add_argument("--output", "-o", default=None,
                        help="file to write (default: standard output)")
    params_option(parser, ": its container section and serve.port")
    root_option(parser)
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from dlpipe import io
    from dlpipe.deploy.image import plan
    from dlpipe.deploy.manifests import manifests
    from dlpipe.deploy.schemas import kubernetes_version, validate

    try:
        params = read_params(args.params)
        image = plan(args.projects, params.container, Path(args.root))
        objects = manifests(args.kind, args.image or image.tags[0], args.projects,
                            params.serve.port, params.container, image.revision,
                            image.digests())
        validate(objects)
    except DlpipeError as exc:
        return refuse(exc)
    text = (f"# dlpipe manifest --kind {args.kind}: checked against the Kubernetes "
            f"{kubernetes_version()} schemas\n"
            + yaml.safe_dump_all(objects, sort_keys=False, default_flow_style=False))
    if args.output is None:
        sys.stdout.write(text)
    else:
        io.write_text(args.output, text)
        print(f"wrote {args.output}: {', '.join(o['kind'] for o in objects)}", file=sys.stderr)
    return 0
