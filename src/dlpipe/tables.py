"""Result tables: the cross-project summary, the table of every model, and their Markdown.

Every result is a score row (project, task, model, split, metric, value, std); these functions
only reshape rows, they compute nothing new.
"""

from __future__ import annotations

import pandas as pd

from dlpipe.metrics import SCORE_COLUMNS

KEYS = ["project", "task", "model", "split", "metric"]
# rows about a model rather than of one: feature importances (model = the method, metric = the
# feature), slices of the test part (split = "test[<feature>: <slice>]") and the model families'
# CV scores the select stage compares (model = the family); the headline and models tables
# leave them out, summary.md lists them in sections of their own
EXPLAIN, AUDIT, SELECT = "explain", "audit", "select"
ABOUT = (EXPLAIN, AUDIT, SELECT)
# The columns summary.md shows; every other metric is in summary.csv.
HEADLINE = ("accuracy", "f1", "f1_macro", "precision", "recall", "roc_auc", "roc_auc_ovr",
            "rmse", "mae", "r2", "root_mean_squared_error", "psnr", "fit_seconds",
            "predict_seconds")
# The columns of the models table; every other metric is in summary.csv.
MODEL_COLUMNS = ("accuracy", "f1", "f1_macro", "f1_weighted", "precision", "recall", "roc_auc",
                 "rmse", "mae", "r2", "mape", "root_mean_squared_error", "psnr", "fit_seconds",
                 "predict_seconds")


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub Markdown table; floats with 4 decimals, missing values blank."""
    cells = frame.astype(object).where(frame.notna(), None)  # tabulate blanks None, not NaN
    return cells.to_markdown(index=False, floatfmt=".4f", missingval="")


def summary(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """All rows, sorted; a duplicated (project, task, model, split, metric) is a bug upstream."""
    frame = pd.concat(tables, ignore_index=True)[SCORE_COLUMNS]
    duplicated = frame.duplicated(KEYS, keep=False)
    if duplicated.any():
        raise ValueError(f"duplicate score rows: {frame[duplicated][KEYS].to_dict('records')}")
    return frame.sort_values(KEYS).reset_index(drop=True)


def headline(frame: pd.DataFrame) -> pd.DataFrame:
    """One line per (project, task, model, split), one column per headline metric:
    'value ± std' (std only where there is one, i.e. CV rows)."""
    frame = frame[frame["metric"].isin(HEADLINE) & ~frame["task"].isin(ABOUT)]
    cells = frame.assign(cell=[f"{v:.4f}" if pd.isna(s) else f"{v:.4f} ± {s:.4f}"
                               for v, s in zip(frame["value"], frame["std"])])
    wide = cells.pivot_table(index=KEYS[:4], columns="metric", values="cell",
                             aggfunc="first").fillna("")
    return wide[[m for m in HEADLINE if m in wide.columns]].reset_index()


def model_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (task, model): its test metrics and its fit and predict seconds."""
    frame = frame.loc[~frame["task"].isin(ABOUT), SCORE_COLUMNS]
    keep = frame[(frame["split"] == "test") | (frame["metric"].str.endswith("_seconds"))]
    wide = keep.pivot_table(index=["task", "model"], columns="metric", values="value",
                            aggfunc="first")
    return wide[[c for c in MODEL_COLUMNS if c in wide.columns]].reset_index()


def top_features(frame: pd.DataFrame) -> pd.DataFrame:
    """One line per (project, method): its features, most important first, as
    'feature (mean ± std)'."""
    rows = frame[frame["task"] == EXPLAIN].sort_values(["project", "model", "value"],
                                                       ascending=[True, True, False])
    return pd.DataFrame(
        [{"project": project, "method": method,
          "features": ", ".join(f"{r.metric} ({r.value:.3f} ± {r.std:.3f})"
                                for r in part.itertuples())}
         for (project, method), part in rows.groupby(["project", "model"], sort=False)],
        columns=["project", "method", "features"])


def flagged_slices(frame: pd.DataFrame) -> pd.DataFrame:
    """The audit's flagged slices: project, slice, its metric (accuracy, or a numeric
    target's rmse), the slice's score and interval, the overall score."""
    audit = frame[frame["task"] == AUDIT]
    wide = audit.pivot_table(index=["project", "model", "split"], columns="metric",
                             values="value", aggfunc="first").reset_index()
    columns = ["project", "slice", "metric", "score", "interval", "overall"]
    if "flagged" not in wide.columns:
        return pd.DataFrame(columns=columns)
    found = []
    for metric in ("accuracy", "rmse"):
        if metric not in wide.columns:
            continue
        mine = wide[wide[metric].notna()]
        overall = mine[mine["split"] == "test"].set_index("project")[metric]
        hits = mine[mine["flagged"] == 1.0]
        found.append(pd.DataFrame({
            "project": hits["project"], "slice": hits["split"], "metric": metric,
            "score": hits[metric],
            "interval": [f"[{lo:.4g}, {hi:.4g}]" for lo, hi in
                         zip(hits[f"{metric}_low"], hits[f"{metric}_high"])],
            "overall": hits["project"].map(overall)}, columns=columns))
    return pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=columns)


def families(frame: pd.DataFrame) -> pd.DataFrame:
    """One line per project: the metric the select stage compares, each family's CV score
    ('mean ± std') and the family served."""
    rows = frame[frame["task"] == SELECT]
    cv, served = rows[rows["split"] == "cv"], rows[rows["split"] == "served"]
    out = []
    for project, part in cv.groupby("project"):
        line = {"project": project, "metric": part["metric"].iloc[0]}
        for r in part.itertuples():
            line[r.model] = f"{r.value:.4f} ± {r.std:.4f}"
        line["served"] = served.loc[served["project"] == project, "model"].iloc[0]
        out.append(line)
    columns = ["project", "metric", "linear", "gbdt", "network", "served"]
    return pd.DataFrame(out, columns=columns)


def decisions(frame: pd.DataFrame) -> pd.DataFrame:
    """Two-class models: the positive class their two-class scores are about, and the
    threshold its probability must reach (rows ``<model>:<class>``, metric
    ``decision_threshold``)."""
    rows = frame[frame["metric"] == "decision_threshold"]
    names = rows["model"].str.rpartition(":")
    return pd.DataFrame({"project": rows["project"].to_numpy(),
                         "model": names[0].to_numpy() if len(rows) else [],
                         "positive class": names[2].to_numpy() if len(rows) else [],
                         "threshold": rows["value"].to_numpy()})
