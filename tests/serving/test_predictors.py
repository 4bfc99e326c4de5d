"""Which path a project's requests take: RowColumns only when every bundle that may see them
(its own, a challenger's) is predicted wholly in NumPy; the event loop only for such a project,
a small body, and a monitor that does not wait for the disk."""

from __future__ import annotations

from types import SimpleNamespace

from dlpipe.serving import predictors
from support import serve_limits


class Fake:
    """A served bundle's stand-in: a predictor that says whether it is wholly NumPy."""

    def __init__(self, numpy: bool):
        self.fully_compiled = numpy

    def predict_proba(self, frame):
        raise AssertionError("not called")


def state(champion: bool, challenger: bool | None = None, fsync: bool = False, monitored=True):
    bundles = {"p": Fake(champion)}
    challengers = {} if challenger is None else {
        "p": SimpleNamespace(bundle=Fake(challenger))}
    limits = serve_limits(max_body_bytes=1000, max_rows=5, body_timeout_seconds=5)
    limits = limits.model_copy(update={"monitor": limits.monitor.model_copy(
        update={"fsync": fsync})})
    out = SimpleNamespace(bundles=bundles, challengers=challengers, limits=limits,
                          monitors={"p": object()} if monitored else {},
                          predictors=predictors.predictors(bundles, challengers))
    out.numpy_only = {"p": predictors.numpy_only(out, "p")}
    out.inline = {"p": predictors.inline_ok(out, "p")}
    return out


def test_anything_with_predict_proba_predicts_as_it_is():
    served = state(True, False)
    assert all(p is b for p, b in zip(served.predictors.values(),
                                      [served.bundles["p"], served.challengers["p"].bundle]))


def test_row_columns_need_every_bundle_that_may_see_the_rows_wholly_in_numpy():
    assert state(True).numpy_only == {"p": True}
    assert state(False).numpy_only == {"p": False}
    assert state(True, False).numpy_only == {"p": False}
    assert state(True, True).numpy_only == {"p": True}


def test_the_event_loop_takes_small_bodies_without_a_disk_flush():
    small = b"x" * state(True).limits.inline_body_bytes
    assert predictors.inline(state(True), "p", small)
    assert not predictors.inline(state(True), "p", small + b"x")
    assert not predictors.inline(state(True, fsync=True), "p", small)
    assert predictors.inline(state(True, fsync=True, monitored=False), "p", small)
    assert not predictors.inline(state(True, False), "p", small)
