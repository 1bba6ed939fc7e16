"""IO probe of the dataset root: what the files look like and how fast this disk serves them.

Bounded so it can run at the end of a quick run: the walk stops at 200,000 files or 3 s, sequential
reads at 256 MiB or 2 s, small-file reads at 500 files or 1.5 s. Reads go through the page cache like
the training job's own reads do; files the job just read may be cached, which the docs point out.
"""
import os
import random
import time

_ROOT_ATTRS = ("root", "data_dir", "root_dir", "data_root", "path", "directory", "folder", "img_dir", "image_dir",
               "data_path", "dataset_dir")
_LIST_ATTRS = ("files", "paths", "file_paths", "filepaths", "filenames", "samples", "imgs", "image_paths", "items")
_BUCKETS = (64 * 1024, 1024 * 1024, 16 * 1024 * 1024, 128 * 1024 * 1024, None)
_SMALL = 1024 * 1024
_SHARD_MIN_FILES = 1000


def _as_path(value):
    if isinstance(value, (str, os.PathLike)):
        try:
            return os.fspath(value)
        except TypeError:
            return None
    if isinstance(value, (tuple, list)) and value and isinstance(value[0], (str, os.PathLike)):
        return os.fspath(value[0])
    return None


def find_root(dataset, depth=0):
    """Directory the dataset reads from, from its usual attribute names; unwraps Subset/Concat."""
    if dataset is None or depth > 3:
        return None
    attrs = getattr(dataset, "__dict__", {})
    for name in _ROOT_ATTRS:
        p = _as_path(attrs.get(name))
        if p and os.path.isdir(p):
            return os.path.abspath(p)
        if p and os.path.isfile(p):
            return os.path.dirname(os.path.abspath(p))
    for name in _LIST_ATTRS:
        value = attrs.get(name)
        if isinstance(value, (list, tuple)) and value:
            paths = [q for q in (_as_path(v) for v in value[:1000]) if q]
            if paths:
                try:
                    common = os.path.commonpath([os.path.abspath(q) for q in paths])
                except ValueError:
                    continue
                return common if os.path.isdir(common) else os.path.dirname(common)
    inner = attrs.get("dataset")
    if inner is not None:
        return find_root(inner, depth + 1)
    datasets = attrs.get("datasets")
    if isinstance(datasets, (list, tuple)) and datasets:
        return find_root(datasets[0], depth + 1)
    return None


def probe(root, source, max_files=200_000, walk_s=3.0):
    t_end = time.perf_counter() + walk_s
    files = []
    truncated = False
    stack = [root]
    while stack and not truncated:
        d = stack.pop()
        try:
            with os.scandir(d) as entries:
                for e in entries:
                    try:
                        if e.is_dir(follow_symlinks=False):
                            stack.append(e.path)
                        elif e.is_file():
                            files.append((e.path, e.stat().st_size))
                    except OSError:
                        continue
                    if len(files) >= max_files or time.perf_counter() > t_end:
                        truncated = True
                        break
        except OSError:
            continue
    sizes = sorted(s for _, s in files)
    hist = []
    lo = 0
    for hi in _BUCKETS:
        hist.append({"maxBytes": hi, "count": sum(1 for s in sizes if s >= lo and (hi is None or s < hi))})
        lo = hi or 0
    formats = {}
    for path, _ in files:
        ext = os.path.splitext(path)[1].lower() or "(none)"
        formats[ext] = formats.get(ext, 0) + 1
    median = sizes[len(sizes) // 2] if sizes else 0
    return {
        "type": "io-probe", "root": root, "source": source, "files": len(files), "totalBytes": sum(sizes),
        "sizeHistogram": hist, "medianFileBytes": median,
        "formats": [{"ext": k, "count": v} for k, v in sorted(formats.items(), key=lambda kv: -kv[1])[:10]],
        "sequentialMBps": _sequential(files), "smallFileReadsPerSec": _small_reads(files),
        "truncated": truncated,
        "recommendSharding": len(files) >= _SHARD_MIN_FILES and median < _SMALL,
    }


def _sequential(files, budget_bytes=256 * 2 ** 20, budget_s=2.0):
    big = sorted(files, key=lambda f: -f[1])
    total, t0 = 0, time.perf_counter()
    for path, size in big:
        if size < _SMALL and total:
            break
        try:
            with open(path, "rb", buffering=0) as fh:
                while True:
                    chunk = fh.read(4 * 2 ** 20)
                    if not chunk:
                        break
                    total += len(chunk)
                    if total >= budget_bytes or time.perf_counter() - t0 > budget_s:
                        break
        except OSError:
            continue
        if total >= budget_bytes or time.perf_counter() - t0 > budget_s:
            break
    dt = time.perf_counter() - t0
    return round(total / 2 ** 20 / dt, 2) if total and dt > 0 else None


def _small_reads(files, count=500, budget_s=1.5):
    small = [p for p, s in files if s < _SMALL]
    if not small:
        return None
    sample = random.Random(0).sample(small, min(count, len(small)))
    n, t0 = 0, time.perf_counter()
    for path in sample:
        try:
            with open(path, "rb") as fh:
                fh.read()
            n += 1
        except OSError:
            continue
        if time.perf_counter() - t0 > budget_s:
            break
    dt = time.perf_counter() - t0
    return round(n / dt, 1) if n and dt > 0 else None
