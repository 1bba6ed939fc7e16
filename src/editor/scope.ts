// Which files Pipeline Doctor looks at: the same folders the CLI skips (ALWAYS_SKIPPED, virtual
// environments, .gitignore'd folders) plus the user's `pipelineDoctor.exclude` globs. Paths here are
// workspace-relative with forward slashes. No `vscode` import: the scan and the diagnostics share it.
import fs from 'node:fs';
import path from 'node:path';
import { ALWAYS_SKIPPED } from '../analyzers/workspace/discover';
import { IgnoreRules } from '../analyzers/workspace/ignore';

/** `rel`'s parent folders, shortest first: `a/b/c.py` → `a`, `a/b`. */
function parentFolders(rel: string): string[] {
  const parts = rel.split('/');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** True when `rules` ignores the file itself or any folder above it (folder-only patterns need the folder). */
export function ignoredByRules(rules: IgnoreRules, rel: string): boolean {
  return parentFolders(rel).some((dir) => rules.ignores(dir, true)) || rules.ignores(rel, false);
}

export function inAlwaysSkippedFolder(rel: string): boolean {
  return rel.split('/').slice(0, -1).some((segment) => ALWAYS_SKIPPED.has(segment));
}

const excludeCache = new Map<string, IgnoreRules>();

/** `pipelineDoctor.exclude` globs, matched with .gitignore semantics (`data/**`, `**\/generated_*.py`, `*.json`). */
export function excludedByGlobs(rel: string, globs: readonly string[]): boolean {
  if (globs.length === 0) return false;
  const key = globs.join('\n');
  let rules = excludeCache.get(key);
  if (!rules) {
    rules = new IgnoreRules();
    // A leading `./` means the same as a glob without it; gitignore syntax does not know it.
    rules.add(globs.map((g) => g.replace(/^\.\//, '')).join('\n'));
    excludeCache.set(key, rules);
  }
  return ignoredByRules(rules, rel);
}

/** The folder of a virtual environment (it holds `pyvenv.cfg`) that contains `file`, if any, below `root`. */
export function enclosingVirtualEnv(file: string, root: string): string | undefined {
  const rel = path.relative(root, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  let dir = path.dirname(file);
  while (dir.length >= root.length && dir !== path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'pyvenv.cfg'))) return dir;
    if (dir === root) break;
    dir = path.dirname(dir);
  }
  return undefined;
}

/** A workspace-relative path with forward slashes, or undefined when `file` is outside `root`. */
export function relativeTo(root: string, file: string): string | undefined {
  const rel = path.relative(root, file);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join('/');
}
