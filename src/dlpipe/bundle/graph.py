"""A network's inference pass as a traced TensorFlow graph with the eager call's numbers:
:class:`Graph`, and :func:`as_graph`, which serves a bundle's network through it when the two
agree (the explain, audit and reference stages, the server and ``dlpipe drift`` call it).
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np

from dlpipe.bundle.files import NETWORK
from dlpipe.bundle.network_file import FileNetwork

log = logging.getLogger(__name__)


class Graph:
    """A network's inference pass traced once into a TensorFlow graph. An eager call runs every
    layer from Python (one row: iris and price ~1.7 ms, the sentiment Transformer ~17 ms); the
    graph runs the same kernels in ~0.5 ms and ~1.5 ms, so a request's time goes to the
    request.

    The graph must give the eager call's numbers, so two of Grappler's rewrites are off: the
    arithmetic optimizer regroups the additions of a layer normalisation (the Transformer's) and
    the remapper fuses a Dense layer's matmul, bias and activation into one kernel (the tabular
    networks'); either changes the last bits of the outputs. The options hold for this graph's
    calls only (TensorFlow reads a call's options per thread), so training in the same process
    keeps TensorFlow's defaults."""

    def __init__(self, model):
        import tensorflow as tf
        from tensorflow.python.eager import context

        self.model = model
        self._context = context
        spec = tf.TensorSpec([None, model.input_shape[-1]], tf.float32)
        self._call = tf.function(lambda x: model(x, training=False), input_signature=[spec])
        self._options = _without_reordering_rewrites()

    def __call__(self, x, training: bool = False):
        if training:
            raise ValueError("a served network only predicts (training=False)")
        current = self._context.context()
        saved = current.function_call_options
        current.function_call_options = self._options
        try:
            return self._call(x)
        finally:
            current.function_call_options = saved

    def __getattr__(self, name: str):  # input_shape, output_shape, ... of the network
        return getattr(self.model, name)


def _without_reordering_rewrites():
    """This thread's function-call options with Grappler's arithmetic optimizer and remapper
    off."""
    from tensorflow.core.protobuf import config_pb2, rewriter_config_pb2
    from tensorflow.python.eager import context

    current = context.context().function_call_options
    config = config_pb2.ConfigProto.FromString(current.config_proto_serialized)
    rewrites = config.graph_options.rewrite_options
    rewrites.arithmetic_optimization = rewriter_config_pb2.RewriterConfig.OFF
    rewrites.remapping = rewriter_config_pb2.RewriterConfig.OFF
    return context.FunctionCallOptions(executor_type=current.executor_type, config_proto=config)


def as_graph(bundle):
    """``bundle`` predicting through :class:`Graph`, if the graph gives the eager call's numbers
    bit for bit on a few random batches (else as it is, with a warning); either way its network
    has run once, so the first request is as fast as the others. A scikit-learn family's
    bundle, and one whose network is a NumPy pass read from its file, are returned as they
    are."""
    if bundle.family != NETWORK or isinstance(bundle.model, FileNetwork):
        return bundle
    graph = Graph(bundle.model)
    rows = np.random.default_rng(0).normal(size=(9, bundle.schema.input_width)).astype(
        np.float32)
    batches = [rows[:1], rows[1:4], rows]
    same = all(np.array_equal(np.asarray(graph(x)), np.asarray(bundle.model(x, training=False)))
               for x in batches)
    if not same:
        log.warning("%s: the graph's numbers differ from the eager network's: serving the "
                    "eager network", bundle.project)
        return bundle
    return dataclasses.replace(bundle, model=graph)
