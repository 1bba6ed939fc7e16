"""Finds the user's source line that caused a call: the first stack frame outside libraries."""
import linecache
import os
import sys
import sysconfig

_HERE = os.path.dirname(os.path.abspath(__file__))


def _library_roots():
    roots = {_HERE}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        try:
            path = sysconfig.get_paths().get(key)
        except Exception:
            path = None
        if path:
            roots.add(os.path.realpath(path))
    for path in sys.path:
        if path and ("site-packages" in path or "dist-packages" in path):
            roots.add(os.path.realpath(path))
    return tuple(sorted(roots, key=len, reverse=True))


_ROOTS = _library_roots()
_cache = {}


def is_user_file(filename):
    hit = _cache.get(filename)
    if hit is None:
        if not filename or filename.startswith("<"):
            hit = False
        else:
            real = os.path.realpath(filename)
            hit = not any(real == r or real.startswith(r + os.sep) for r in _ROOTS)
            hit = hit and "site-packages" not in real and "dist-packages" not in real
        _cache[filename] = hit
    return hit


def _char_col(filename, lineno, byte_col):
    """co_positions gives UTF-8 byte offsets; editors want characters."""
    if byte_col is None:
        return 0
    text = linecache.getline(filename, lineno)
    return len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace"))


def user_site(start_depth=2):
    """(file, line, column, end_line, end_column) of the innermost user frame, or None."""
    try:
        frame = sys._getframe(start_depth)
    except ValueError:
        return None
    while frame is not None:
        filename = frame.f_code.co_filename
        if is_user_file(filename):
            line = frame.f_lineno or 1
            col, end_line, end_col = 0, line, 0
            positions = getattr(frame.f_code, "co_positions", None)
            if positions is not None and frame.f_lasti >= 0:
                try:
                    pos = list(positions())[frame.f_lasti // 2]
                    if pos[0] is not None:
                        line = pos[0]
                        end_line = pos[1] or line
                        col = _char_col(filename, line, pos[2])
                        end_col = _char_col(filename, end_line, pos[3])
                except (IndexError, TypeError):
                    pass
            return (os.path.abspath(filename), line, col, end_line, end_col)
        frame = frame.f_back
    return None
