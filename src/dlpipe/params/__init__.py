"""params.yaml: the single source of every knob, loaded and validated in one place."""

from dlpipe.params.base import KerasModel, Strict
from dlpipe.params.container import ContainerParams, KubernetesParams
from dlpipe.params.export import ExportParams
from dlpipe.params.insight import AuditParams, DriftParams, ExplainParams
from dlpipe.params.loading import load_params, parse_params
from dlpipe.params.retrain import RetrainParams, TriggerParams
from dlpipe.params.serve import ChallengerParams, MonitorParams, ServeParams
from dlpipe.params.data import (CsvData, DataParams, ImagesData, OpenMLData, PackageData,
                                SklearnData, UrlData)
from dlpipe.params.schema import (DEFAULT_PARAMS, CVParams, FeatureParams, Params, ProjectParams,
                                  SplitParams, TuneParams)
from dlpipe.params.scoring import (BINARY_SCORERS, LOWER_IS_BETTER, SCORERS, VALUE_SCORERS,
                                   DecisionParams, EvaluateParams)

__all__ = ["BINARY_SCORERS", "DEFAULT_PARAMS", "LOWER_IS_BETTER", "SCORERS", "VALUE_SCORERS", "DecisionParams", "AuditParams", "CsvData", "DriftParams", "ExplainParams", "CVParams", "DataParams", "EvaluateParams", "ExportParams", "ImagesData",
           "FeatureParams", "KerasModel", "OpenMLData", "PackageData", "Params", "ProjectParams", "ChallengerParams", "ContainerParams", "KubernetesParams", "MonitorParams", "RetrainParams", "ServeParams",
           "TriggerParams",
           "SklearnData",
           "SplitParams", "Strict", "TuneParams", "UrlData", "load_params", "parse_params"]
