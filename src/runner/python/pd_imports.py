"""Post-import hooks: patch a module right after it is first imported.

Importing torch (about 1 s) or Keras eagerly would slow down and change scripts that never use them, so
the harness waits for the user's script to import them and patches the module as soon as it executes.
"""
import importlib.abc
import sys


class _HookedLoader(importlib.abc.Loader):
    def __init__(self, inner, callback):
        self._inner = inner
        self._callback = callback

    def create_module(self, spec):
        return self._inner.create_module(spec)

    def exec_module(self, module):
        self._inner.exec_module(module)
        try:
            self._callback(module)
        except Exception as exc:  # a broken patch must never break the user's import
            sys.stderr.write("[pipeline-doctor] could not instrument %s: %r\n" % (module.__name__, exc))

    def __getattr__(self, name):
        return getattr(self._inner, name)


class PostImportFinder(importlib.abc.MetaPathFinder):
    def __init__(self, hooks):
        self._hooks = dict(hooks)

    def find_spec(self, fullname, path, target=None):
        callback = self._hooks.get(fullname)
        if callback is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    del self._hooks[fullname]
                    spec.loader = _HookedLoader(spec.loader, callback)
                return spec
        return None


def install(hooks):
    """hooks: {module name: callback(module)}; modules already imported are patched immediately."""
    pending = {}
    for name, callback in hooks.items():
        module = sys.modules.get(name)
        if module is not None:
            callback(module)
        else:
            pending[name] = callback
    if pending:
        sys.meta_path.insert(0, PostImportFinder(pending))
