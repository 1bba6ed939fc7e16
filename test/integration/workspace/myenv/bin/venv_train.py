# A naive training script: the DataLoader loads every batch in the main process.
import torch
from torch.utils.data import DataLoader


def train(model, dataset, opt):
    loader = DataLoader(dataset, batch_size=64, shuffle=True)
    for x, y in loader:
        loss = model(x, y)
        loss.backward()
        opt.step()
