"""Customer segment classifier, production version: one Pipeline, stratified CV, persisted as a whole."""
import argparse
import json

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.metrics import classification_report
from sklearn.model_selection import StratifiedKFold, cross_validate, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMERIC = ["age", "income", "total_spend", "visits", "weekend_visits", "tenure_days"]
CATEGORICAL = ["region", "channel"]


def engineer(df):
    df = df.copy()
    df["spend_per_visit"] = df["total_spend"] / df["visits"].clip(lower=1)
    df["weekend_share"] = df["weekend_visits"] / df["visits"].clip(lower=1)
    return df


def build_pipeline():
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categorical = OneHotEncoder(handle_unknown="ignore", min_frequency=20)
    prep = ColumnTransformer([
        ("num", numeric, NUMERIC + ["spend_per_visit", "weekend_share"]),
        ("cat", categorical, CATEGORICAL),
    ])
    return Pipeline([("prep", prep), ("clf", HistGradientBoostingClassifier(max_iter=500, early_stopping=True, random_state=0))])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", default="data/customers.csv")
    ap.add_argument("--out", default="artifacts/segment_pipeline.joblib")
    args = ap.parse_args()

    df = engineer(pd.read_csv(args.csv))
    X, y = df.drop(columns=["segment", "customer_id"]), df["segment"]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)

    pipe = build_pipeline()
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    scores = cross_validate(pipe, X_train, y_train, cv=cv, scoring=["accuracy", "f1_macro"], n_jobs=-1)
    print(json.dumps({k: float(np.mean(v)) for k, v in scores.items() if k.startswith("test_")}, indent=2))

    pipe.fit(X_train, y_train)
    print(classification_report(y_test, pipe.predict(X_test)))
    joblib.dump(pipe, args.out)


if __name__ == "__main__":
    main()
