// The line length a fix wraps an edited call at: the project's formatter setting, read the way Ruff
// finds its configuration (the closest `.ruff.toml`, `ruff.toml` or `pyproject.toml` with a
// `[tool.ruff]` table, walking up from the file) and, failing that, Black's `[tool.black]` in the
// closest pyproject.toml. Both formatters default to 88.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'smol-toml';

export const DEFAULT_LINE_LENGTH = 88;

interface FormatterSetting {
  /** Ruff's line-length, when this folder has a Ruff configuration (it may leave it at the default). */
  ruff?: number | 'default';
  black?: number | 'default';
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= 1000 ? value : undefined;
}

function table(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function readToml(file: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return parse(text) as Record<string, unknown>;
  } catch {
    return undefined; // a malformed file: the formatter would refuse it too; fall back to the default
  }
}

/** What one folder's configuration files say. */
function settingIn(dir: string): FormatterSetting {
  for (const name of ['.ruff.toml', 'ruff.toml']) {
    const ruff = readToml(path.join(dir, name));
    if (ruff) return { ruff: positive(ruff['line-length']) ?? 'default' };
  }
  const tool = table(readToml(path.join(dir, 'pyproject.toml'))?.tool);
  if (!tool) return {};
  const ruff = table(tool.ruff);
  const black = table(tool.black);
  return {
    ruff: ruff ? positive(ruff['line-length']) ?? 'default' : undefined,
    black: black ? positive(black['line-length']) ?? 'default' : undefined,
  };
}

/** An editor session outlives edits to pyproject.toml: a folder's answer is read again after this long. */
const FRESH_MS = 2000;

/** Finds the line length for files of one project. */
export class LineLengths {
  private readonly byDir = new Map<string, { setting: FormatterSetting; readAt: number }>();

  constructor(private readonly root: string) {}

  forFile(file: string): number {
    let black: number | 'default' | undefined;
    const top = path.resolve(this.root);
    for (let dir = path.dirname(path.resolve(file)); ; dir = path.dirname(dir)) {
      const now = Date.now();
      let known = this.byDir.get(dir);
      if (!known || now - known.readAt > FRESH_MS) this.byDir.set(dir, (known = { setting: settingIn(dir), readAt: now }));
      const setting = known.setting;
      if (setting.ruff !== undefined) return setting.ruff === 'default' ? DEFAULT_LINE_LENGTH : setting.ruff;
      black ??= setting.black;
      const inside = path.relative(top, dir);
      if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside) || path.dirname(dir) === dir) break;
    }
    return typeof black === 'number' ? black : DEFAULT_LINE_LENGTH;
  }
}
