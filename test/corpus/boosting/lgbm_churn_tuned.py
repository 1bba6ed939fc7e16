"""Churn model with LightGBM 4.x: early stopping through callbacks, stratified CV for model selection."""
import argparse
import json
import logging

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

log = logging.getLogger("churn-lgb")

PARAMS = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 63,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "metric": "auc",
    "verbose": -1,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/churn_features.parquet")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--out", default="artifacts/churn_lgb")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO)

    df = pd.read_parquet(args.data)
    y = df.pop("churned").to_numpy()
    X = df.drop(columns=["customer_id"])

    skf = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=11)
    oof = np.zeros(len(X))
    best_rounds = []
    for fold, (tr, va) in enumerate(skf.split(X, y)):
        dtr = lgb.Dataset(X.iloc[tr], y[tr])
        dva = lgb.Dataset(X.iloc[va], y[va], reference=dtr)
        booster = lgb.train(
            PARAMS,
            dtr,
            num_boost_round=10_000,
            valid_sets=[dva],
            callbacks=[lgb.early_stopping(stopping_rounds=200), lgb.log_evaluation(500)],
        )
        oof[va] = booster.predict(X.iloc[va], num_iteration=booster.best_iteration)
        best_rounds.append(booster.best_iteration)
        log.info("fold %d auc %.4f at %d rounds", fold, roc_auc_score(y[va], oof[va]), booster.best_iteration)

    log.info("OOF auc %.4f", roc_auc_score(y, oof))
    final_rounds = int(np.mean(best_rounds) * 1.1)
    final = lgb.LGBMClassifier(n_estimators=final_rounds, **{k: v for k, v in PARAMS.items() if k != "metric"})
    final.fit(X, y)
    final.booster_.save_model(f"{args.out}.txt")
    with open(f"{args.out}_meta.json", "w") as fh:
        json.dump({"rounds": final_rounds, "features": list(X.columns)}, fh)


if __name__ == "__main__":
    main()
