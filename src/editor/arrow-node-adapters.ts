// Keeps apache-arrow's Node stream adapters in the extension bundle. The runner writes its Arrow files
// with RecordBatchStreamWriter.toNodeStream(), whose adapter is installed as a side effect of
// apache-arrow's Node entry (Arrow.node.mjs). The package declares `"sideEffects": false`, so esbuild
// drops that entry when only named exports are imported — as in dist/extension.js, where profiling then
// failed with '"toNodeStream" not available in this environment' (dist/cli.js keeps it only by accident
// of a lazy import). Using the namespace object as a whole makes esbuild keep the module with its body.
// Better fixed once in scripts/build.mjs; until then this import is what makes Profile Pipeline work.
import * as arrow from 'apache-arrow';

/** True when the Node stream adapters are installed (the runner needs them). */
export function arrowNodeStreamsReady(): boolean {
  return Object.keys(arrow).length > 0 && typeof Reflect.get(arrow.RecordBatchWriter, 'throughNode') === 'function';
}
