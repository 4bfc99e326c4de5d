"""THE stage table: every stage of the DAG, declared once.

Snakemake (``workflow/rules/stages.smk``) makes one rule per row and ``dvc.yaml`` is rendered from
the rows (``python -m dlpipe dag``); the runner reads and writes what a row declares. To add a
stage, add a row here and write its node (see ARCHITECTURE.md).
"""

from __future__ import annotations

from dlpipe.pipeline.stage import (Gather, Output, Section, Stage, data, project_params,
                                   figure, metrics, plot, scores, text)

SCORES = "reports/scores/{project}"  # every stage's score rows, one file per stage
# what every scikit-learn family's fit and scores read: the folds, the features, the decision
FAMILY_PARAMS = ("seed", "{project}.features", "{project}.cv", "{project}.evaluate",
                 "{project}.decision")


def _curves(where: str, title: str) -> dict[str, Output]:
    """The network's metric (accuracy, or a numeric target's mean absolute error) and loss per
    epoch, one line per series (training, validation)."""
    return {"metric_curve": plot(f"{where}/metric.csv", x="epoch", y="value",
                                 title=f"{title}: accuracy (classes) or MAE (a value)"),
            "loss_curve": plot(f"{where}/loss.csv", x="epoch", y="loss", title=f"{title}: loss")}


def _confusion(where: str, title: str) -> Output:
    return plot(f"{where}/confusion.csv", x="predicted", y="actual", title=title,
                template="confusion")


def _task(name: str, doc: str, tables: bool = True, trains: bool = False,
          **plots: Output) -> Stage:
    """One MNIST task: metrics, run information, rows, figures, its plot data and, with
    ``tables``, its other tables (a project without the task gets empty ones)."""
    where = f"reports/{{project}}/{name}"
    other = {"tables": text(f"{where}/tables")} if tables else {}
    return Stage(
        name, doc, node=f"dlpipe.stages.tasks.{name}:{name}",
        inputs={"train": "split.train", "test": "split.test"},
        params=("seed", f"{{project}}.tasks.{name}"),
        outputs={"metrics": metrics(f"{where}/metrics.json"), "info": text(f"{where}/info.json"),
                 "scores": scores(f"{SCORES}/{name}.csv"), **other,
                 "figures": figure(f"{where}/figures"), **plots}, trains=trains)


STAGES: tuple[Stage, ...] = (
    Stage("code", "what DVC follows of every per-project stage: the digest of the source "
          "files its jobs run, and the params keys it reads",
          node="dlpipe.pipeline.jobs:digests", outputs={"digests": text("reports/code.json")},
          scope="all"),
    Stage("resolve", "the project's params (defaults merged, validated), and each of its "
          "stages' values and code digest, written for DVC",
          node="dlpipe.stages.resolve:resolve",
          inputs={"section": Section(), "digests": "code.digests"}, params=("seed",),
          outputs={"params": project_params("reports/{project}/params")}),
    Stage("fetch", "load the dataset (cache, mirror or online), verify its checksum",
          node="dlpipe.stages.fetch:fetch",
          params=("{project}.data", "{project}.class_names", "{project}.unlabelled_rows",
                  "{project}.task", "{project}.model.image_shape"),
          outputs={"raw": data("data/raw/{project}.parquet")}),
    Stage("split", "seeded train/test split",
          node="dlpipe.stages.split:split", inputs={"raw": "fetch.raw"},
          params=("{project}.split",),
          outputs={"train": data("data/interim/{project}/train.parquet"),
                   "test": data("data/interim/{project}/test.parquet")}),
    Stage("preprocess", "fit imputation, encoding and scaling on train only; transform both parts",
          node="dlpipe.stages.preprocess:preprocess",
          inputs={"train": "split.train", "test": "split.test"}, params=("{project}.features",),
          outputs={"train": data("data/processed/{project}/train.parquet"),
                   "test": data("data/processed/{project}/test.parquet"),
                   "transformer": data("data/processed/{project}/preprocess.skops"),
                   "names": data("data/processed/{project}/names.json")}),
    Stage("tune_worker", "run trials of the project's Optuna study (tune.workers run at once)",
          node="dlpipe.stages.tune:run_trials", inputs={"train": "split.train"},
          params=("seed", "{project}.features", "{project}.cv", "{project}.model",
                  "{project}.tune"),
          outputs={"done": data("data/tuning/{project}/workers/{worker}.json")},
          scope="worker", state="data/tuning/{project}/journal.log", trains=True),
    Stage("tune", "collect the study: best params, trials table, figures",
          node="dlpipe.stages.tune:collect", inputs={"workers": "tune_worker.done"},
          params=("seed", "{project}.model", "{project}.tune"),
          outputs={"best_params": data("data/tuning/{project}/best_params.json"),
                   "trials": text("reports/{project}/tuning/trials.csv"),
                   "history_png": figure("reports/{project}/figures/tuning_history.png"),
                   "importance_png": figure("reports/{project}/figures/tuning_importance.png")},
          state="data/tuning/{project}/journal.log"),
    Stage("train", "k-fold CV of the tuned model, then the final fit on all training data",
          node="dlpipe.stages.train:train",
          inputs={"train": "split.train", "processed": "preprocess.train",
                  "transformer": "preprocess.transformer", "names": "preprocess.names",
                  "best_params": "tune.best_params"},
          params=("seed", "{project}.features", "{project}.cv", "{project}.data.target",
                  "{project}.decision"),
          # the network's bundle: model.keras, preprocess.skops, schema.json (dlpipe.bundle);
          # the select stage serves it, or another family's, as models/{project}
          outputs={"bundle": data("models/{project}-network"),
                   "cv": metrics("reports/{project}/cv.json"),
                   "fit": text("reports/{project}/fit.json"),
                   **_curves("reports/{project}/plots", "final fit"),
                   "learning_curves_png": figure("reports/{project}/figures/learning_curves.png")},
          trains=True),
    Stage("evaluate", "test-set metrics, per-class scores, confusion matrix, score rows",
          node="dlpipe.stages.evaluate:evaluate",
          inputs={"test": "split.test", "bundle": "train.bundle", "cv": "train.cv",
                  "fit": "train.fit"},
          params=("{project}.evaluate",),
          outputs={"metrics": metrics("reports/{project}/metrics.json"),
                   "per_class": text("reports/{project}/per_class.csv"),
                   "confusion": _confusion("reports/{project}/plots",
                                           "confusion matrix of the network (test)"),
                   "confusion_png": figure("reports/{project}/figures/confusion.png"),
                   "scores": scores(f"{SCORES}/evaluate.csv")}),
    Stage("export", "LiteRT files of the network (float32, int8), scored through LiteRT",
          node="dlpipe.stages.export:export",
          inputs={"bundle": "train.bundle", "train": "preprocess.train",
                  "test": "preprocess.test"},
          params=("seed", "{project}.evaluate", "{project}.export"),
          # beside the network's bundle, not in it: models/<p>-network/ is the train stage's output
          outputs={"files": data("models/{project}-litert"),
                   "metrics": metrics("reports/{project}/export.json"),
                   "info": text("reports/{project}/export_info.json"),
                   "scores": scores(f"{SCORES}/export.csv")}),
    Stage("baseline", "the linear family: logistic (a numeric target: ridge) regression on the "
          "same preprocessing and CV folds, then the test",
          node="dlpipe.stages.baseline:baseline",
          inputs={"train": "split.train", "test": "split.test"},
          params=(*FAMILY_PARAMS, "{project}.baseline"),
          outputs={"model": data("models/{project}-linear"),
                   "metrics": metrics("reports/{project}/baseline.json"),
                   "scores": scores(f"{SCORES}/baseline.csv")}),
    Stage("gbdt", "gradient-boosted trees on the same preprocessing, tuned by Optuna on the "
          "same CV folds, then the test",
          node="dlpipe.stages.gbdt:gbdt",
          inputs={"train": "split.train", "test": "split.test"},
          params=(*FAMILY_PARAMS, "{project}.gbdt", "{project}.tune.metric"),
          outputs={"model": data("models/{project}-gbdt"),
                   "metrics": metrics("reports/{project}/gbdt.json"),
                   "info": text("reports/{project}/gbdt_info.json"),
                   "trials": text("reports/{project}/tuning/gbdt_trials.csv"),
                   "scores": scores(f"{SCORES}/gbdt.csv")}),
    Stage("select", "the champion family by mean CV score (one-standard-error rule), and the "
          "served bundle: the champion's, or the family params pin",
          node="dlpipe.stages.select:select",
          inputs={"network": "train.bundle", "network_cv": "train.cv",
                  "network_test": "evaluate.metrics", "linear": "baseline.metrics",
                  "linear_model": "baseline.model", "gbdt": "gbdt.metrics",
                  "gbdt_model": "gbdt.model"},
          params=("{project}.cv", "{project}.serve_family", "{project}.tune.metric"),
          # the inference bundle predict, serve, explain, audit and reference load
          outputs={"bundle": data("models/{project}"),
                   "selection": text("reports/{project}/selection.json"),
                   "scores": scores(f"{SCORES}/select.csv")}),
    Stage("explain", "which inputs drive the model: permutation importance and SHAP (tables), "
          "occlusion maps (images)",
          node="dlpipe.stages.explain:explain",
          inputs={"train": "split.train", "test": "split.test", "bundle": "select.bundle"},
          params=("seed", "{project}.explain", "{project}.tune.metric"),
          outputs={"importance": plot("reports/{project}/explain/importance.csv", x="mean",
                                      y="feature", title="feature importance (test)",
                                      template="importance"),
                   "per_class": text("reports/{project}/explain/per_class.csv"),
                   "info": text("reports/{project}/explain/info.json"),
                   "figures": figure("reports/{project}/explain/figures"),
                   "scores": scores(f"{SCORES}/explain.csv")}),
    Stage("audit", "accuracy per slice of the test part (class, category, quartile of the most "
          "important numbers) with bootstrap intervals; weak slices flagged",
          node="dlpipe.stages.audit:audit",
          inputs={"test": "split.test", "bundle": "select.bundle",
                  "importance": "explain.importance"},
          params=("seed", "{project}.audit"),
          outputs={"table": text("reports/{project}/audit.csv"),
                   "figure": figure("reports/{project}/figures/audit.png"),
                   "scores": scores(f"{SCORES}/audit.csv")}),
    Stage("reference", "what drift checks compare new rows with: a seeded sample of the "
          "training part, the model's confidence on the test part",
          node="dlpipe.stages.reference:reference",
          inputs={"train": "split.train", "test": "split.test", "bundle": "select.bundle"},
          params=("seed", "{project}.drift"),
          # beside the bundle: serve and `dlpipe drift` load it with the bundle
          outputs={"reference": data("models/{project}-reference")}),
    _task("binary", "'is it a 5': CV scores, PR/ROC curves, threshold for a target precision",
          tables=False,  # its tables are all plot data
          pr=plot("reports/{project}/binary/pr.csv", x="recall", y="precision",
                  title="precision-recall curves (CV scores)"),
          roc=plot("reports/{project}/binary/roc.csv", x="fpr", y="tpr",
                   title="ROC curves (CV scores)"),
          confusion=_confusion("reports/{project}/binary",
                               "binary confusion matrix, best model (test)")),
    _task("multiclass", "SVC, OneVsRest SVC, SGD with/without scaling, tuned KNN",
          confusion=_confusion("reports/{project}/multiclass",
                               "multiclass confusion matrix, best model (test)")),
    _task("multilabel", "KNN on [digit >= 7, digit is odd]"),
    _task("denoise", "multi-output KNN mapping noisy to clean images"),
    _task("mlp", "a Keras MLP on x/255 pixels (same builder as the main model)", trains=True,
          **_curves("reports/{project}/mlp", "Keras MLP")),
    Stage("model_table", "every model of the project: its metrics, fit and predict seconds",
          node="dlpipe.stages.model_table:model_table", inputs={"scores": Gather()},
          outputs={"table": text("reports/{project}/model_table.csv"),
                   "markdown": text("reports/{project}/model_table.md")}),
    Stage("report", "one cross-project table of every score row",
          node="dlpipe.stages.report:report", inputs={"scores": Gather(across_projects=True)},
          params=("projects",),
          outputs={"summary": text("reports/summary.csv"),
                   "markdown": text("reports/summary.md")},
          scope="all"),
)
BY_NAME = {stage.name: stage for stage in STAGES}
