"""Data-quality probe: looks at the first training batches the loader already produced, during warm-up.

Runs inside StepRecorder.leave for the training loader's warm-up fetches only, so its time falls in
warm-up steps, never in the measured window. It keeps no batch: each batch is reduced at once to counts
(NaN/Inf, per-label counts), per-column min/max, the value range of float leaves and a 16-byte digest per
sample, and the one `data-probe` event carries only counts, shapes and those ranges (docs/profiling.md,
"Data-quality probe"; thresholds with their reasons in docs/runtime-findings.md, RUN008-RUN013).
"""
import hashlib
import math
import time
from collections.abc import Mapping

MAX_BATCHES = 5
# Fewer batches when these are already seen: enough labels to judge a class mix, bounded time.
ENOUGH_SAMPLES = 512
TIME_BUDGET_S = 2.0
MAX_DEPTH = 4
MAX_ITEMS = 32
MAX_LEAVES = 32
# Class mix: judged only on a shuffled sample of at least this many labels (docs/runtime-findings.md, RUN010).
SKEW_MIN_LABELS = 100
SKEW_MAJORITY_SHARE = 0.9
MISSING_LABELS_PER_CLASS = 10
MAX_LABEL_CLASSES = 1000
# Constant tensors and columns: over at least MIN_CONSTANT_ROWS samples; columns of tabular
# [batch, features] float leaves only (token ids and padded audio have columns constant by construction).
MAX_TABLE_COLUMNS = 1024
MIN_CONSTANT_ROWS = 32
# Unnormalised images: a float [B, C, H, W] / [B, H, W, C] leaf with values in [0, 255] and a maximum
# far above the [0, 1] of ToTensor() (a standardised image has negative values).
IMAGE_MIN_MAX = 10.0
MAX_LISTED = 10
# Duplicates: a sample's digest covers all its bytes up to this many values per tensor; a larger row (an
# image) is digested from evenly spaced values plus the sum of all its values, which keeps the cost per
# batch flat (see docs/runtime-findings.md, RUN011).
MAX_DIGEST_VALUES = 16384


def leaves(torch, batch, path="batch", depth=0, out=None):
    """(path, tensor) of every tensor in a batch of tensors, tuples/lists and mappings (HF style)."""
    out = [] if out is None else out
    if len(out) >= MAX_LEAVES:
        return out
    if torch.is_tensor(batch):
        out.append((path, batch))
    elif depth < MAX_DEPTH and isinstance(batch, (list, tuple)):
        for i, item in enumerate(batch[:MAX_ITEMS]):
            leaves(torch, item, "%s[%d]" % (path, i), depth + 1, out)
    elif depth < MAX_DEPTH and isinstance(batch, Mapping):
        for i, (key, item) in enumerate(batch.items()):
            if i >= MAX_ITEMS:
                break
            name = key if isinstance(key, str) and len(key) <= 40 else "#%d" % i
            leaves(torch, item, '%s["%s"]' % (path, name), depth + 1, out)
    return out


def is_shuffled(loader):
    """True when the loader draws its indices in random order without replacement."""
    sampler = getattr(loader, "sampler", None)
    batch_sampler = getattr(loader, "batch_sampler", None)
    for s in (sampler, getattr(batch_sampler, "sampler", None)):
        name = type(s).__name__ if s is not None else ""
        if name == "RandomSampler":
            return not getattr(s, "replacement", False)
        if name == "SubsetRandomSampler":
            return True
        if name == "DistributedSampler":
            return bool(getattr(s, "shuffle", False))
    return False


def draws_with_replacement(loader):
    for s in (getattr(loader, "sampler", None), getattr(getattr(loader, "batch_sampler", None), "sampler", None)):
        name = type(s).__name__ if s is not None else ""
        if name == "WeightedRandomSampler" or (name == "RandomSampler" and getattr(s, "replacement", False)):
            return True
    return False


def declared_classes(dataset):
    """Number of classes a dataset declares (torchvision's `classes`), else None."""
    classes = getattr(dataset, "classes", None)
    try:
        n = len(classes) if isinstance(classes, (list, tuple, dict)) else None
    except Exception:
        n = None
    return n if n and n >= 2 else None


def _image_layout(t):
    """[B, C, H, W] or [B, H, W, C] with 1, 3 or 4 channels and sides of at least 8."""
    if t.dim() != 4:
        return False
    a, b, c = (int(d) for d in t.shape[1:])
    return (a in (1, 3, 4) and min(b, c) >= 8) or (c in (1, 3, 4) and min(a, b) >= 8)


class _Leaf:
    __slots__ = ("path", "dtype", "shape", "values", "nan", "inf", "lo", "hi", "col_lo", "col_hi", "rows",
                 "labels", "floating", "table", "image", "label_like")

    def __init__(self, torch, path, t):
        self.path = path
        self.dtype = str(t.dtype).replace("torch.", "")
        self.shape = [int(d) for d in t.shape]
        self.values = self.nan = self.inf = self.rows = 0
        self.lo = self.hi = None
        self.col_lo = self.col_hi = None
        self.labels = {}
        self.floating = t.is_floating_point()
        self.table = self.floating and t.dim() == 2 and 2 <= t.shape[1] <= MAX_TABLE_COLUMNS
        self.image = self.floating and _image_layout(t)
        # uint8 is how images travel, bool is a mask: neither is a class label.
        self.label_like = (not self.floating and not t.is_complex() and t.dtype not in (torch.bool, torch.uint8) and
                           (t.dim() == 1 or (t.dim() == 2 and t.shape[1] == 1)))


class DataProbe:
    """Fed the training loader's first batches (observe); emits one `data-probe` event when done."""

    def __init__(self, torch, channel):
        self.torch = torch
        self.channel = channel
        self.done = False
        self.loader_id = None
        self.loader = None
        self.dataset = None
        self.batches = 0
        self.samples = 0
        self.empty = 0
        self.leaves = {}
        self.digests = set()
        self.hashed = 0
        self.spent_ns = 0
        self.truncated = False

    def observe(self, st, batch, warmup):
        """One warm-up batch of the training loader `st`. The probe takes at most the first half of the
        warm-up: while it works, loader workers run ahead, and the rest of the warm-up lets them settle back
        to their steady state before the measured window."""
        if self.done:
            return
        limit = min(MAX_BATCHES, max(1, warmup // 2))
        t0 = time.perf_counter_ns()
        try:
            if self.loader_id is None:
                self.loader_id = st.id
                self.loader = st.ref() if st.ref is not None else None
                self.dataset = st.dataset_ref() if st.dataset_ref is not None else None
            if st.id == self.loader_id:
                self._reduce(batch)
        except Exception as exc:
            self.done = True
            self.channel.emit({"type": "notice", "level": "warning", "message": "data probe failed: %r" % (exc,)})
            return
        self.spent_ns += time.perf_counter_ns() - t0
        if self.spent_ns > TIME_BUDGET_S * 1e9 and self.batches < limit:
            self.truncated = True
        if self.truncated or self.batches >= limit or (self.batches >= 3 and self.samples >= ENOUGH_SAMPLES):
            self.finish()

    def finish(self):
        """Emits the event (also when the script ran out of data before the probe's batches)."""
        if self.done or self.batches == 0:
            self.done = True
            return
        self.done = True
        t0 = time.perf_counter_ns()
        try:
            event = self.event()
        except Exception as exc:  # the user's script must never die for the probe
            event = {"type": "notice", "level": "warning", "message": "data probe failed: %r" % (exc,)}
        else:
            event["probeMs"] = round((self.spent_ns + time.perf_counter_ns() - t0) / 1e6, 3)
        self.channel.emit(event)
        self.leaves.clear()
        self.digests.clear()
        self.loader = self.dataset = None

    # -- per batch -------------------------------------------------------------------------------------
    def _reduce(self, batch):
        torch = self.torch
        found = leaves(torch, batch)
        size = None
        for _, t in found:
            if t.dim() > 0:
                size = int(t.shape[0])
                break
        self.batches += 1
        if size is None:
            return
        if size == 0:
            self.empty += 1
            return
        self.samples += size
        per_sample = []
        with torch.no_grad():
            for path, t in found:
                leaf = self.leaves.get(path)
                if leaf is None:
                    leaf = self.leaves[path] = _Leaf(torch, path, t)
                self._reduce_leaf(leaf, t.detach(), size)
                if t.dim() > 0 and int(t.shape[0]) == size:
                    per_sample.append(t)
            self._hash_samples(per_sample, size)

    def _reduce_leaf(self, leaf, t, size):
        torch = self.torch
        n = t.numel()
        leaf.values += n
        if n == 0:
            return
        if t.dim() > 0 and t.shape[0] == size:
            leaf.rows += size
        if leaf.floating:
            # One cheap pass (a sum in the tensor's own dtype is ~15x faster than isnan + isinf here): a finite
            # sum means no NaN or Inf; a non-finite one (or an overflow) pays for the exact counts.
            bad_nan = bad_inf = 0
            if not math.isfinite(float(t.sum())):
                nan, inf = torch.isnan(t), torch.isinf(t)
                bad_nan, bad_inf = int(nan.sum()), int(inf.sum())
            leaf.nan += bad_nan
            leaf.inf += bad_inf
            finite = t if bad_nan == 0 and bad_inf == 0 else t[~(nan | inf)]
            if finite.numel():
                lo, hi = (float(v) for v in torch.aminmax(finite))
                leaf.lo = lo if leaf.lo is None else min(leaf.lo, lo)
                leaf.hi = hi if leaf.hi is None else max(leaf.hi, hi)
            if leaf.table and t.dim() == 2 and t.shape[0] == size and t.shape[1] == leaf.shape[1]:
                lo, hi = t.amin(0), t.amax(0)
                leaf.col_lo = lo if leaf.col_lo is None else torch.minimum(leaf.col_lo, lo)
                leaf.col_hi = hi if leaf.col_hi is None else torch.maximum(leaf.col_hi, hi)
            else:
                leaf.table = False
        elif leaf.label_like and t.shape[0] == size and leaf.labels is not None:
            values, counts = torch.unique(t.reshape(-1), return_counts=True)
            for v, c in zip(values.tolist(), counts.tolist()):
                leaf.labels[v] = leaf.labels.get(v, 0) + c
            if len(leaf.labels) > MAX_LABEL_CLASSES:
                leaf.labels = None

    def _hash_samples(self, tensors, size):
        if not tensors:
            return
        torch = self.torch
        rows = []
        for t in tensors:
            # numpy has no bfloat16: those rows are digested as float32 (exact, so equal rows stay equal).
            r = (t.float() if t.dtype == torch.bfloat16 else t).detach().reshape(size, -1)
            if r.shape[1] > MAX_DIGEST_VALUES:
                sums = None if r.is_complex() else r.sum(1)
                r = r[:, ::-(-r.shape[1] // MAX_DIGEST_VALUES)]
                if sums is not None:
                    rows.append(sums.cpu().contiguous().reshape(size, 1).numpy())
            rows.append(r.cpu().contiguous().numpy())
        for i in range(size):
            h = hashlib.blake2b(digest_size=16)
            for r in rows:
                h.update(r[i].tobytes())
            self.digests.add(h.digest())
        self.hashed += size

    # -- the event -------------------------------------------------------------------------------------
    def event(self):
        shuffled = is_shuffled(self.loader)
        issues = []
        if self.empty:
            issues.append({"check": "empty-batch", "batches": self.empty})
        for leaf in self.leaves.values():
            issues.extend(leaf_issues(leaf, shuffled, declared_classes(self.dataset)))
        length = None
        try:
            length = len(self.dataset) if self.dataset is not None else None
        except Exception:
            length = None
        duplicates = self.hashed - len(self.digests)
        # A sampler with replacement, or a sample larger than the dataset, repeats samples by design.
        if duplicates > 0 and length is not None and self.hashed <= length and not draws_with_replacement(self.loader):
            issues.append({"check": "duplicates", "samples": self.hashed, "duplicates": duplicates})
        return {
            "type": "data-probe", "loader": self.loader_id, "batches": self.batches, "samples": self.samples,
            "shuffled": shuffled, "truncated": self.truncated,
            "leaves": [{"path": l.path, "dtype": l.dtype, "shape": l.shape} for l in self.leaves.values()],
            "issues": issues,
        }


def leaf_issues(leaf, shuffled, classes):
    """The findings' facts about one leaf, from its reduced counts (pure: unit-tested without a loader)."""
    out = []
    if leaf.nan or leaf.inf:
        out.append({"check": "non-finite", "path": leaf.path, "values": leaf.values, "nan": leaf.nan, "inf": leaf.inf})
    if leaf.floating and leaf.lo is not None and leaf.rows >= MIN_CONSTANT_ROWS and leaf.lo == leaf.hi and leaf.nan == 0:
        out.append({"check": "constant", "path": leaf.path, "values": leaf.values})
    elif leaf.table and leaf.col_lo is not None and leaf.rows >= MIN_CONSTANT_ROWS:
        same = (leaf.col_lo == leaf.col_hi).nonzero().reshape(-1).tolist()
        if same:
            out.append({"check": "constant", "path": leaf.path, "values": leaf.values, "columns": leaf.shape[1],
                        "constantColumns": len(same), "firstColumns": same[:MAX_LISTED]})
    if leaf.image and leaf.lo is not None and leaf.lo >= 0 and IMAGE_MIN_MAX < leaf.hi <= 255:
        out.append({"check": "image-range", "path": leaf.path, "min": round(leaf.lo, 4), "max": round(leaf.hi, 4)})
    if leaf.label_like and leaf.labels and shuffled:
        issue = class_mix(leaf.path, leaf.labels, classes)
        if issue is not None:
            out.append(issue)
    return out


def class_mix(path, counts, classes):
    """A class-mix issue from label counts, or None: majority share >= 90% of >= 100 labels, or classes
    absent from a sample of >= 10 labels per class (by chance under a balanced mix: e^-10 per class)."""
    n = sum(counts.values())
    majority, top = max(counts.items(), key=lambda kv: (kv[1], -kv[0]))
    share = top / n
    expected = classes
    if expected is None and min(counts) >= 0 and all(isinstance(k, int) for k in counts):
        expected = max(counts) + 1 if max(counts) >= 1 else None
    missing = [c for c in range(expected) if c not in counts] if expected is not None else []
    skewed = n >= SKEW_MIN_LABELS and share >= SKEW_MAJORITY_SHARE
    absent = bool(missing) and expected is not None and n >= MISSING_LABELS_PER_CLASS * expected
    if not skewed and not absent:
        return None
    issue = {"check": "class-mix", "path": path, "labels": n, "classesSeen": len(counts),
             "majorityClass": majority, "majorityShare": round(share, 4), "skewed": skewed,
             "missing": len(missing) if absent else 0, "missingClasses": missing[:MAX_LISTED] if absent else []}
    if classes is not None:
        issue["classesDeclared"] = classes
    return issue
