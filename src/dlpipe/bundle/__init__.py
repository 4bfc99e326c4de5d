"""A project's inference bundle, ``models/<p>/``: the trained network, the fitted feature
transformer and the input schema, with a manifest of their checksums.

``files`` names the bundle's files and reads and writes them safely (the transformer through
skops, with its allow-list), ``input_schema`` describes and checks input rows, ``inference``
loads a verified bundle and predicts. Nothing here imports the pipeline: the train stage writes
the bundle; commands, stages and the server load it.
"""
