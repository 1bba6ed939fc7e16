"""Daily demand forecasting with LightGBM (script written against LightGBM 3.x)."""
import argparse
import logging

import lightgbm as lgb
import numpy as np
import pandas as pd

logger = logging.getLogger("demand")
logging.basicConfig(level=logging.INFO)

CATEGORICAL = ["store_id", "item_id", "dow", "month"]


def add_features(df):
    df = df.sort_values(["store_id", "item_id", "date"]).copy()
    df["dow"] = df["date"].dt.dayofweek
    df["month"] = df["date"].dt.month
    grp = df.groupby(["store_id", "item_id"])["sales"]
    for lag in (7, 14, 28):
        df[f"lag_{lag}"] = grp.shift(lag)
    df["roll_mean_28"] = grp.transform(lambda s: s.shift(1).rolling(28).mean())
    df["price_ratio"] = df.apply(lambda r: r["price"] / r["base_price"] if r["base_price"] else 1.0, axis=1)  # expect: PREP007[warning]:rowWise
    return df


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sales", default="data/sales.csv")
    ap.add_argument("--cutoff", default="2023-06-01")
    args = ap.parse_args()

    df = pd.read_csv(args.sales, parse_dates=["date"])  # expect: LOAD015[info]:rowFormat
    df = add_features(df).dropna(subset=["lag_28", "roll_mean_28"])
    features = [c for c in df.columns if c not in ("date", "sales")]
    train, valid = df[df["date"] < args.cutoff], df[df["date"] >= args.cutoff]

    params = {
        "objective": "tweedie",
        "tweedie_variance_power": 1.2,
        "learning_rate": 0.03,
        "num_leaves": 255,
        "min_data_in_leaf": 100,
        "feature_fraction": 0.8,
        "metric": "rmse",
        "verbose": -1,
    }
    dtrain = lgb.Dataset(train[features], train["sales"], categorical_feature=CATEGORICAL)
    dvalid = lgb.Dataset(valid[features], valid["sales"], reference=dtrain)
    booster = lgb.train(
        params,
        dtrain,
        num_boost_round=5000,
        valid_sets=[dvalid],
        early_stopping_rounds=100,  # expect: STOP008[error]:removedArgument
        verbose_eval=200,
    )
    booster.save_model("demand_lgb.txt")

    # Quantile model for the safety-stock band, sklearn API.
    q90 = lgb.LGBMRegressor(objective="quantile", alpha=0.9, n_estimators=3000, learning_rate=0.05)
    q90.fit(train[features], train["sales"], eval_set=[(valid[features], valid["sales"])], categorical_feature=CATEGORICAL)  # expect: STOP008[warning]:neverStopsEarly
    pred = q90.predict(valid[features])
    logger.info("coverage of p90: %.3f", float(np.mean(valid["sales"].to_numpy() <= pred)))


if __name__ == "__main__":
    main()
