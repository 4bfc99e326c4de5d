"""Retraining: labelled served rows become a new version of a project's data, the project's
stages run on it, and the new model replaces the served one only if it is better on labelled
rows that neither model learnt from (``dlpipe retrain``).

:mod:`~dlpipe.retraining.rows` picks the rows (pure), :mod:`~dlpipe.retraining.data_version`
writes the data and its checksum, :mod:`~dlpipe.retraining.snapshot` keeps the working copy's
state so a model that is not promoted leaves no trace, :mod:`~dlpipe.retraining.promotion`
scores both models and decides, :mod:`~dlpipe.retraining.trigger` says whether retraining is
needed, and :mod:`~dlpipe.retraining.run` does it in order.
"""
