"""Runs the model-selection grid listed in experiments.csv (a dozen rows) and writes one report per row.

Iterating the small config table row by row is fine here: each row launches a full cross-validation.
"""
import argparse
import json
import os

import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

MODELS = {
    "logreg": lambda p: make_pipeline(StandardScaler(), LogisticRegression(C=float(p["C"]), max_iter=5000)),
    "rf": lambda p: RandomForestClassifier(n_estimators=int(p["n_estimators"]), max_depth=int(p["max_depth"]) or None, n_jobs=-1),
    "gbm": lambda p: GradientBoostingClassifier(n_estimators=int(p["n_estimators"]), max_depth=int(p["max_depth"])),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--grid", default="experiments.csv")
    ap.add_argument("--out-dir", default="reports")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    X, y = load_breast_cancer(return_X_y=True)
    cv = StratifiedKFold(n_splits=10, shuffle=True, random_state=0)
    grid = pd.read_csv(args.grid)
    for _, row in grid.iterrows():
        model = MODELS[row["model"]](row)
        scores = cross_val_score(model, X, y, cv=cv, scoring="roc_auc", n_jobs=-1)
        report = {"name": row["name"], "model": row["model"], "auc_mean": scores.mean(), "auc_std": scores.std()}
        with open(os.path.join(args.out_dir, f"{row['name']}.json"), "w") as fh:
            json.dump(report, fh, indent=2)
        print(report)


if __name__ == "__main__":
    main()
