// The Python extension's active environment for a resource, as an interpreter candidate for the runner.
// The Python extension is optional: when it is not installed (or fails) there is no candidate and the
// runner falls back to `python3`. Checked with getExtension first, because PythonExtension.api() would
// throw for the common "not installed" case, and asking it would activate it needlessly.
import { PythonExtension } from '@vscode/python-extension';
import * as vscode from 'vscode';
import type { Log } from './log';

const PYTHON_EXTENSION_ID = 'ms-python.python';

export async function pythonExtensionInterpreter(resource: vscode.Uri | undefined, log: Log): Promise<string | undefined> {
  if (!vscode.extensions.getExtension(PYTHON_EXTENSION_ID)) return undefined;
  try {
    const api = await PythonExtension.api();
    const envPath = api.environments.getActiveEnvironmentPath(resource);
    const resolved = await api.environments.resolveEnvironment(envPath);
    const executable = resolved?.executable.uri?.fsPath ?? envPath.path;
    log.info(`profile: the Python extension's environment is ${executable}`);
    return executable;
  } catch (e) {
    log.warn(`profile: the Python extension did not give an environment (${(e as Error).message}); using python3`);
    return undefined;
  }
}
