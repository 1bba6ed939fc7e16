"""Customer segment classifier: baseline from the exploratory analysis."""
import argparse
import pickle

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import classification_report
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.preprocessing import LabelEncoder, StandardScaler


def engineer(df):
    df["spend_per_visit"] = df.apply(lambda r: r["total_spend"] / max(r["visits"], 1), axis=1)  # expect: PREP007[warning]:rowWise
    df["is_weekend_shopper"] = (df["weekend_visits"] / df["visits"].clip(lower=1)) > 0.5
    return df


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", default="data/customers.csv")
    ap.add_argument("--model", default="segment_rf.pkl")
    args = ap.parse_args()

    df = engineer(pd.read_csv(args.csv))
    features = ["age", "income", "total_spend", "visits", "spend_per_visit", "weekend_visits", "tenure_days"]
    y = LabelEncoder().fit_transform(df["segment"])  # expect: EVAL005[info]:preprocessingNotSaved
    X_scaled = StandardScaler().fit_transform(df[features])  # expect: EVAL001[warning]:fittedBeforeSplit, EVAL005[info]:preprocessingNotSaved
    X_pca = PCA(n_components=5).fit_transform(X_scaled)  # expect: EVAL001[warning]:fittedBeforeSplit, EVAL005[info]:preprocessingNotSaved

    X_train, X_test, y_train, y_test = train_test_split(X_pca, y, test_size=0.25, random_state=0)  # expect: EVAL003[info]:unstratifiedSplit
    clf = RandomForestClassifier(n_estimators=500, n_jobs=-1, random_state=0)
    clf.fit(X_train, y_train)
    print(classification_report(y_test, clf.predict(X_test)))

    lr_scores = cross_val_score(LogisticRegression(max_iter=2000), X_scaled, y, cv=5)
    print("logreg cv accuracy %.3f +- %.3f" % (np.mean(lr_scores), np.std(lr_scores)))

    with open(args.model, "wb") as fh:
        pickle.dump(clf, fh)


if __name__ == "__main__":
    main()
