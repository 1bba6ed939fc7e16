// Interpreter resolution: explicit path -> caller-supplied candidates (the editor passes the Python
// extension's active environment here) -> `python3` on PATH. Existence and executability are checked here
// so that "the interpreter path does not exist" is a clear message, not a spawn ENOENT.
import fs from 'node:fs';
import path from 'node:path';
import { InterpreterNotFoundError } from './errors';

export interface ResolvedInterpreter {
  path: string;
  source: 'explicit' | 'candidate' | 'default';
}

function isExecutableFile(p: string): boolean {
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Looks a bare command name up on PATH the way a shell would; absolute/relative paths are checked as is. */
export function findExecutable(command: string, cwd: string, envPath: string | undefined = process.env.PATH): string | null {
  if (command.includes('/') || command.includes(path.sep)) {
    const abs = path.resolve(cwd, command);
    return isExecutableFile(abs) ? abs : null;
  }
  for (const dir of (envPath ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

export function resolveInterpreter(opts: { explicit?: string; candidates?: readonly string[]; cwd: string }): ResolvedInterpreter {
  if (opts.explicit !== undefined && opts.explicit !== '') {
    const found = findExecutable(opts.explicit, opts.cwd);
    if (found === null) {
      throw new InterpreterNotFoundError([opts.explicit], `${opts.explicit} does not exist or is not executable`);
    }
    // Keep the user's spelling: a venv's python is often a symlink whose realpath loses the venv.
    return { path: path.isAbsolute(opts.explicit) ? opts.explicit : found, source: 'explicit' };
  }
  const tried: string[] = [];
  for (const c of opts.candidates ?? []) {
    tried.push(c);
    const found = findExecutable(c, opts.cwd);
    if (found !== null) return { path: found, source: 'candidate' };
  }
  tried.push('python3');
  const fallback = findExecutable('python3', opts.cwd);
  if (fallback !== null) return { path: fallback, source: 'default' };
  throw new InterpreterNotFoundError(tried, 'none of the candidates exists');
}
