"""HTTP serving of loaded bundles: the app and its routes (``server``), the two protocols'
request and answer bodies (``protocols``, ``tensor_values``, ``openapi_bodies``) and the rows
kept for the drift endpoint (``watch``). The bundle itself is :mod:`dlpipe.bundle`'s."""
