// Finds the files a lint run covers: Python, notebooks and YAML/JSON configs, skipping what no user
// wants scanned (virtual environments, caches, VCS folders) and what .gitignore excludes.
import fs from 'node:fs';
import path from 'node:path';
import { fileKind } from '../file-kind';
import { IgnoreRules } from './ignore';

/** Folders that hold installed packages or generated files, skipped even without a .gitignore. */
export const ALWAYS_SKIPPED = new Set(['.git', '.hg', '.svn', 'node_modules', '__pycache__', '.venv', 'venv', '.tox', '.nox', '.mypy_cache', '.pytest_cache', '.ruff_cache', 'site-packages', '.ipynb_checkpoints', 'wandb', 'mlruns', 'lightning_logs', 'outputs', 'multirun']);

function isVirtualEnv(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'pyvenv.cfg'));
}

/** Expands files and folders into the analysable files under them, sorted. */
export async function discoverFiles(inputs: readonly string[], cwd: string): Promise<string[]> {
  const out = new Set<string>();
  for (const input of inputs) {
    const abs = path.resolve(cwd, input);
    const stat = await fs.promises.stat(abs);
    if (stat.isFile()) {
      out.add(abs);
      continue;
    }
    const rules = new IgnoreRules();
    const walk = async (dir: string, rel: string) => {
      const gitignore = path.join(dir, '.gitignore');
      if (fs.existsSync(gitignore)) rules.add(await fs.promises.readFile(gitignore, 'utf8'), rel);
      const entries = await fs.promises.readdir(dir, { withFileTypes: true });
      for (const e of entries) {
        const childRel = rel ? `${rel}/${e.name}` : e.name;
        const child = path.join(dir, e.name);
        if (e.isDirectory()) {
          if (ALWAYS_SKIPPED.has(e.name) || rules.ignores(childRel, true) || isVirtualEnv(child)) continue;
          await walk(child, childRel);
        } else if (e.isFile() && fileKind(e.name) && !rules.ignores(childRel, false)) {
          out.add(child);
        }
      }
    };
    await walk(abs, '');
  }
  return [...out].sort();
}
