"""Search ranking with XGBoost: the notebook code moved into a script (legacy API usage)."""
import argparse
import logging

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.model_selection import GroupShuffleSplit

logging.basicConfig(level=logging.INFO)
log = logging.getLogger("ranker")

FEATURES = ["bm25", "title_match", "ctr_7d", "ctr_30d", "price_rank", "freshness_days", "doc_len"]


def split(df):
    gss = GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=0)
    train_idx, valid_idx = next(gss.split(df, groups=df["query_id"]))
    return df.iloc[train_idx].sort_values("query_id"), df.iloc[valid_idx].sort_values("query_id")


def to_dmatrix(df):
    dm = xgb.DMatrix(df[FEATURES], label=df["relevance"])
    dm.set_group(df.groupby("query_id", sort=False).size().to_numpy())
    return dm


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/judgments.parquet")
    args = ap.parse_args()

    df = pd.read_parquet(args.data)
    train_df, valid_df = split(df)

    # 1) Learning-to-rank with the native API.
    dtrain, dvalid = to_dmatrix(train_df), to_dmatrix(valid_df)
    params = {"objective": "rank:ndcg", "eta": 0.05, "max_depth": 8, "eval_metric": "ndcg@10", "tree_method": "hist"}
    booster = xgb.train(params, dtrain, num_boost_round=3000, evals=[(dtrain, "train"), (dvalid, "valid")], verbose_eval=100)  # expect: STOP007[warning]:trainNoEarlyStopping
    booster.save_model("ranker.ubj")

    # 2) A click-probability model used as a feature; early stopping passed to fit (pre-1.6 style).
    clicks = xgb.XGBClassifier(n_estimators=2000, learning_rate=0.05, max_depth=6, tree_method="hist")
    clicks.fit(
        train_df[FEATURES],
        (train_df["relevance"] > 0).astype(int),
        eval_set=[(valid_df[FEATURES], (valid_df["relevance"] > 0).astype(int))],
        early_stopping_rounds=50,  # expect: STOP007[warning]:movedToConstructor
        verbose=False,
    )
    valid_df = valid_df.assign(p_click=clicks.predict_proba(valid_df[FEATURES])[:, 1])
    log.info("mean predicted click prob %.4f", float(np.mean(valid_df["p_click"])))

    # 3) Dwell-time regressor evaluated on the validation split but never stopped early.
    dwell = xgb.XGBRegressor(n_estimators=1500, learning_rate=0.05, max_depth=6, tree_method="hist")
    dwell.fit(train_df[FEATURES], train_df["dwell_s"], eval_set=[(valid_df[FEATURES], valid_df["dwell_s"])], verbose=False)  # expect: STOP007[warning]:estimatorNoEarlyStopping
    dwell.save_model("dwell.json")


if __name__ == "__main__":
    main()
