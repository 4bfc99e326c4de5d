"""Inference: a project's bundle (model, feature transformer, input schema) loaded, checked
and applied to new rows.

``schema`` describes and checks input rows, ``store`` reads and writes the bundle's files
safely, ``bundle`` loads a project's bundle and predicts. Nothing here imports the pipeline: the
train stage writes the bundle, and anything (the CLI, a server) can load it.
"""
