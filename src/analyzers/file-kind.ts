import path from 'node:path';

export type FileKind = 'python' | 'yaml' | 'json' | 'notebook';

export function fileKind(file: string): FileKind | undefined {
  switch (path.extname(file).toLowerCase()) {
    case '.py': case '.pyi': return 'python';
    case '.yaml': case '.yml': return 'yaml';
    case '.json': case '.jsonc': return 'json';
    case '.ipynb': return 'notebook';
    default: return undefined;
  }
}
