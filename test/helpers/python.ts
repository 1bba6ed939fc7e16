import { parsePython } from '../../src/analyzers/engine/parser';
import { PythonModule } from '../../src/analyzers/python/module';

/** Parses source into the module facts rules see. `dedent` lets tests indent their snippets. */
export async function moduleOf(source: string, file = 'train.py'): Promise<PythonModule> {
  const text = dedent(source);
  return new PythonModule(file, text, await parsePython(text));
}

export function dedent(s: string): string {
  const lines = s.replace(/^\n/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}
