"""Why a model decides and when not to trust it: feature importance, occlusion maps, slice
audits and drift statistics. Pure computations on a predict function and frames; the stages
and the server give them a bundle's model and the pipeline's data."""
