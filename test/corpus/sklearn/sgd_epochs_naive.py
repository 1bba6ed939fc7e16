"""Out-of-core text classifier with SGD, trained in epochs over hashed features."""
import argparse
import glob
import logging

import joblib
import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split

log = logging.getLogger("sgd")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-glob", default="data/tickets/part-*.csv")
    ap.add_argument("--epochs", type=int, default=15)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO)

    paths = sorted(glob.glob(args.data_glob))
    frame = pd.concat([pd.read_csv(p, usecols=["text", "queue"]) for p in paths], ignore_index=True)  # miss: LOAD015 (the main dataset of this out-of-core job, read from many CSV parts through pd.concat, is not reported)
    train_df, val_df = train_test_split(frame, test_size=0.1, stratify=frame["queue"], random_state=0)
    classes = np.unique(frame["queue"])
    clf = SGDClassifier(loss="log_loss", alpha=1e-5)

    for epoch in range(args.epochs):
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=3, sublinear_tf=True)
        X_train = vectorizer.fit_transform(train_df["text"])  # expect: EVAL005[info]:preprocessingNotSaved  # miss: PREP001 (vectorizer rebuilt and refitted on unchanged data every epoch of a partial_fit loop)
        X_val = vectorizer.transform(val_df["text"])
        order = np.random.permutation(X_train.shape[0])
        for start in range(0, len(order), 10_000):
            idx = order[start:start + 10_000]
            clf.partial_fit(X_train[idx], train_df["queue"].to_numpy()[idx], classes=classes)
        score = f1_score(val_df["queue"], clf.predict(X_val), average="macro")
        log.info("epoch %d macro-F1 %.4f", epoch, score)

    joblib.dump(clf, "sgd_queue.joblib")


if __name__ == "__main__":
    main()
