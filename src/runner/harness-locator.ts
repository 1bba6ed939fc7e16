// The harness ships as .py files: next to the bundle (dist/python/, copied by scripts/build.mjs) or in
// the source tree (src/runner/python/) when the compiled tests run from out/src/runner/.
import fs from 'node:fs';
import path from 'node:path';
import { HarnessNotFoundError } from './errors';

export const HARNESS_ENTRY = 'pd_harness.py';

export function harnessCandidates(fromDir: string = __dirname): string[] {
  return [
    path.join(fromDir, 'python'),                               // dist/ bundle, or src/runner/ under ts-node
    path.join(fromDir, '..', 'python'),                          // dist/<sub>/ bundles
    path.resolve(fromDir, '..', '..', '..', 'src', 'runner', 'python'), // out/src/runner/ -> src/runner/python
    path.resolve(fromDir, '..', 'src', 'runner', 'python'),      // dist/ inside a source checkout
  ];
}

/** Absolute path of pd_harness.py; throws HarnessNotFoundError listing where it looked. */
export function locateHarness(fromDir: string = __dirname): string {
  const dirs = harnessCandidates(fromDir);
  for (const dir of dirs) {
    const entry = path.join(dir, HARNESS_ENTRY);
    if (fs.existsSync(entry)) return entry;
  }
  throw new HarnessNotFoundError(dirs);
}
