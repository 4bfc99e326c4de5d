"""A project's challenger: a second bundle (another git revision's, a DVC experiment's) that
answers a share of the project's requests (``split``) or every request beside the champion,
its answers logged and never returned (``shadow``).

The split is sticky: a request's key (the ``X-Split-Key`` header, else the V2 request's
``id``) is hashed with the project's name, and the hash alone says which version answers, so
one key always meets one version, on any server process. A request without a key is assigned
at random, with the same share.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from dlpipe.errors import DataError
from dlpipe.params import ChallengerParams

log = logging.getLogger("dlpipe.serve")
SPLIT_KEY = "X-Split-Key"


def bucket(project: str, key: str) -> float:
    """Where ``key`` falls in [0, 1) for ``project``: uniform over keys, fixed for a key."""
    digest = hashlib.sha256(f"{project}\0{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0 ** 64


@dataclass(frozen=True)
class Challenger:
    bundle: Any
    params: ChallengerParams

    def answering(self, champion, key: str | None) -> tuple[Any, Any]:
        """(the bundle whose answer is returned, the shadow bundle or None) for a request
        with ``key``."""
        if self.params.mode == "shadow":
            return champion, self.bundle
        key = uuid.uuid4().hex if key is None else key
        taken = bucket(champion.project, key) < self.params.share
        return (self.bundle if taken else champion), None


def check_compatible(champion, challenger) -> None:
    """Refuse a challenger that reads other inputs or predicts other classes than the
    champion: requests are checked against the champion's schema, and the two are compared on
    the same labels."""
    mine, theirs = champion.schema, challenger.schema
    where = f"challenger of {champion.project!r}"
    if [(c.name, c.kind) for c in mine.columns] != [(c.name, c.kind) for c in theirs.columns] \
            or mine.image_shape != theirs.image_shape:
        raise DataError(f"{where}: its bundle reads other input columns than the served one "
                        "(a challenger must take the same requests)")
    if list(mine.classes) != list(theirs.classes):
        raise DataError(f"{where}: predicts classes {list(theirs.classes)}, the served bundle "
                        f"{list(mine.classes)}")
    if champion.version == challenger.version:
        log.warning("%s: the challenger is the same bundle (version %s): an A/A test",
                    champion.project, champion.version)
