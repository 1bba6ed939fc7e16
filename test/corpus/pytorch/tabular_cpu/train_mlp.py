"""CPU-only MLP on a tabular churn dataset.

Runs on the analytics cluster, which has no GPUs. Features are standardised with statistics computed on the
training split only, and the scaler is saved next to the weights so the scoring job uses the same numbers.
"""
import argparse
import json
import logging
import os
import platform

import joblib
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, TensorDataset

log = logging.getLogger("churn")

# Worker processes hang on the Windows laptops of the analysts (spawn start method + no main guard in
# their notebooks); the Linux cluster uses forked workers.
NUM_WORKERS = 0 if platform.system() == "Windows" else 4


def load_frame(path):
    df = pd.read_parquet(path)
    df["tenure_years"] = df["tenure_months"] / 12.0
    df["charges_per_month"] = df["total_charges"] / df["tenure_months"].clip(lower=1)
    return df


def build_model(n_features, hidden=128, dropout=0.1):
    return nn.Sequential(
        nn.Linear(n_features, hidden),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Linear(hidden, 1),
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/churn.parquet")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--out", default="artifacts")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO)
    torch.manual_seed(0)

    df = load_frame(args.data)
    features = [c for c in df.columns if c not in ("customer_id", "churned")]
    X = df[features].to_numpy(dtype=np.float32)
    y = df["churned"].to_numpy(dtype=np.float32)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)

    scaler = StandardScaler().fit(X_train)
    X_train, X_val = scaler.transform(X_train), scaler.transform(X_val)

    train_ds = TensorDataset(torch.from_numpy(X_train), torch.from_numpy(y_train))
    val_ds = TensorDataset(torch.from_numpy(X_val), torch.from_numpy(y_val))
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, num_workers=NUM_WORKERS)
    val_loader = DataLoader(val_ds, batch_size=1024, num_workers=NUM_WORKERS)

    model = build_model(len(features))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()

    history = []
    for epoch in range(args.epochs):
        model.train()
        total = 0.0
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb).squeeze(1), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)  # CPU-only: .item() costs no device sync here
        model.eval()
        with torch.no_grad():
            val_loss = sum(loss_fn(model(xb).squeeze(1), yb).item() * len(xb) for xb, yb in val_loader)
        history.append({"epoch": epoch, "train": total / len(train_ds), "val": val_loss / len(val_ds)})
        log.info("epoch %d train %.4f val %.4f", epoch, history[-1]["train"], history[-1]["val"])

    os.makedirs(args.out, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(args.out, "mlp.pt"))
    joblib.dump(scaler, os.path.join(args.out, "scaler.joblib"))
    with open(os.path.join(args.out, "history.json"), "w") as fh:
        json.dump({"features": features, "history": history}, fh, indent=2)


if __name__ == "__main__":
    main()
