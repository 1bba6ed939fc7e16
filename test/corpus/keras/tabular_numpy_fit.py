"""Credit-default model: a small Keras MLP trained on NumPy arrays.

Keras `fit` on NumPy arrays is not a tf.data chain; the network is tiny and runs on CPU workers.
"""
import argparse
import json

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from tensorflow import keras

NUMERIC = ["limit_bal", "age", "bill_amt1", "bill_amt2", "pay_amt1", "pay_amt2"]
CATEGORICAL = ["sex", "education", "marriage"]


def build(n_inputs):
    model = keras.Sequential([
        keras.layers.Input((n_inputs,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", metrics=[keras.metrics.AUC(name="auc")])
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", default="data/credit_default.csv")
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--out", default="artifacts")
    args = ap.parse_args()

    df = pd.read_csv(args.csv, usecols=NUMERIC + CATEGORICAL + ["default"])
    X, y = df[NUMERIC + CATEGORICAL], df["default"].to_numpy()
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.2, stratify=y, random_state=13)

    prep = ColumnTransformer([("num", StandardScaler(), NUMERIC), ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL)])
    X_train = prep.fit_transform(X_train).astype(np.float32)
    X_val = prep.transform(X_val).astype(np.float32)

    model = build(X_train.shape[1])
    early = keras.callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=15, restore_best_weights=True)
    history = model.fit(
        X_train,
        y_train,
        validation_data=(X_val, y_val),
        epochs=args.epochs,
        batch_size=512,
        callbacks=[early, keras.callbacks.CSVLogger(f"{args.out}/history.csv")],
        verbose=2,
    )
    model.save(f"{args.out}/credit_mlp.keras")
    joblib.dump(prep, f"{args.out}/preprocessor.joblib")
    with open(f"{args.out}/summary.json", "w") as fh:
        json.dump({"best_val_auc": float(max(history.history["val_auc"]))}, fh)


if __name__ == "__main__":
    main()
