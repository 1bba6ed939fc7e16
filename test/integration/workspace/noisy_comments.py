from torch.utils.data import DataLoader


def train(model, dataset, opt):
    loader = DataLoader(dataset, batch_size=64, num_workers=1)  # tuned later
    for x, y in loader:
        model(x, y).backward()
        opt.step()
