"""A project's inference bundle, ``models/<p>/``: the served model (the network, or the
champion scikit-learn family's estimator), the fitted feature transformer and the input
schema, with a manifest of their checksums.

``files`` names the bundle's files and reads and writes them safely (the transformer through
skops, with its allow-list), ``input_schema`` describes and checks input rows, ``inference``
loads a verified bundle and predicts. Nothing here imports the pipeline: the select stage writes
the bundle; commands, stages and the server load it.
"""
