"""The image's health check: exit 0 when the server in this container answers ready on the port
of /srv/dlpipe/params.yaml (serve.port, the port `dlpipe serve` listens on), 1 otherwise."""

import sys
import urllib.request

import yaml

try:
    with open("/srv/dlpipe/params.yaml", encoding="utf-8") as file:
        port = yaml.safe_load(file)["serve"]["port"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/health/ready", timeout=2) as answer:
        sys.exit(0 if answer.status == 200 else 1)
except Exception as exc:  # any failure is "not healthy", with its reason in podman's health log
    print(f"not ready: {exc}")
    sys.exit(1)
