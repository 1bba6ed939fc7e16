"""Insurance claim severity: per-fold preprocessing + XGBoost, the leakage-free way.

The target encoder and the scaler are fitted inside each fold on that fold's training part only.
"""
import argparse
import logging

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import KFold
from sklearn.preprocessing import StandardScaler, TargetEncoder

log = logging.getLogger("claims")

CAT = ["region", "vehicle_class", "policy_type"]
NUM = ["driver_age", "vehicle_age", "annual_km", "prior_claims"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", default="data/claims.csv")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO)

    df = pd.read_csv(args.csv, usecols=CAT + NUM + ["severity"], dtype={c: "category" for c in CAT})
    y = np.log1p(df["severity"].to_numpy())
    kf = KFold(n_splits=args.folds, shuffle=True, random_state=3)
    scores = []
    for fold, (tr, va) in enumerate(kf.split(df)):
        enc = TargetEncoder(target_type="continuous")
        scaler = StandardScaler()
        X_tr = np.hstack([enc.fit_transform(df.iloc[tr][CAT], y[tr]), scaler.fit_transform(df.iloc[tr][NUM])])
        X_va = np.hstack([enc.transform(df.iloc[va][CAT]), scaler.transform(df.iloc[va][NUM])])
        model = xgb.XGBRegressor(
            n_estimators=4000,
            learning_rate=0.02,
            max_depth=6,
            objective="reg:absoluteerror",
            tree_method="hist",
            early_stopping_rounds=150,
        )
        model.fit(X_tr, y[tr], eval_set=[(X_va, y[va])], verbose=False)
        mae = mean_absolute_error(np.expm1(y[va]), np.expm1(model.predict(X_va)))
        scores.append(mae)
        log.info("fold %d MAE %.1f (best iteration %d)", fold, mae, model.best_iteration)
    log.info("CV MAE %.1f +- %.1f", np.mean(scores), np.std(scores))


if __name__ == "__main__":
    main()
