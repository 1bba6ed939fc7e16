# One loader inside a function (safe fix) and one at module level (unsafe fix: spawn re-imports the script).
from torch.utils.data import DataLoader, Subset

model = None
opt = None
dataset = None
module_loader = DataLoader(dataset, batch_size=32)
for x, y in module_loader:
    model(x, y).backward()
    opt.step()


def train(model, dataset, opt):
    loader = DataLoader(Subset(dataset, range(4096)), batch_size=64, num_workers=0)
    for x, y in loader:
        loss = model(x, y)
        loss.backward()
        opt.step()
