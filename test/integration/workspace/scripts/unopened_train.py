# Never opened by the tests: only the workspace scan can report it.
import torch
from torch.utils.data import DataLoader


def train(model, dataset, opt):
    loader = DataLoader(dataset, batch_size=64, shuffle=True)
    for x, y in loader:
        loss = model(x, y)
        loss.backward()
        opt.step()
