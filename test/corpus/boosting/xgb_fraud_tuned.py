"""XGBoost fraud model with early stopping configured on the estimator (xgboost >= 1.6)."""
import argparse
import json
import logging

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split

log = logging.getLogger("fraud")

DROP = ["transaction_id", "is_fraud", "event_time"]


def load(path):
    df = pd.read_parquet(path)
    df["hour"] = pd.to_datetime(df["event_time"]).dt.hour
    df["amount_log"] = np.log1p(df["amount"])
    df["merchant_freq"] = df.groupby("merchant_id")["merchant_id"].transform("count")
    return df


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/transactions.parquet")
    ap.add_argument("--model-out", default="artifacts/fraud_xgb.json")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO)

    df = load(args.data)
    X = df.drop(columns=DROP)
    y = df["is_fraud"].astype(int)
    X_train, X_tmp, y_train, y_tmp = train_test_split(X, y, test_size=0.3, stratify=y, random_state=7)
    X_val, X_test, y_val, y_test = train_test_split(X_tmp, y_tmp, test_size=0.5, stratify=y_tmp, random_state=7)

    clf = xgb.XGBClassifier(
        n_estimators=5000,
        learning_rate=0.03,
        max_depth=7,
        subsample=0.8,
        colsample_bytree=0.8,
        tree_method="hist",
        device="cuda",
        scale_pos_weight=float((y_train == 0).sum() / max(1, (y_train == 1).sum())),
        eval_metric="aucpr",
        early_stopping_rounds=100,
    )
    clf.fit(X_train, y_train, eval_set=[(X_val, y_val)], verbose=200)
    proba = clf.predict_proba(X_test)[:, 1]
    report = {
        "best_iteration": int(clf.best_iteration),
        "test_auc": float(roc_auc_score(y_test, proba)),
        "test_ap": float(average_precision_score(y_test, proba)),
    }
    log.info("report: %s", report)
    clf.save_model(args.model_out)
    with open(args.model_out.replace(".json", "_report.json"), "w") as fh:
        json.dump(report, fh, indent=2)


if __name__ == "__main__":
    main()
