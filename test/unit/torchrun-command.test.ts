// torchrun command lines as users write them (launch configurations of torch.distributed.run, torchrun
// tasks) read into the runner's torchrun options (src/runner/torchrun-command.ts), and shell task command
// lines split into words (src/shared/shell-words.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTorchrunArgs, torchrunInvocation } from '../../src/runner/torchrun-command';
import { shellWords } from '../../src/shared/shell-words';
import { torchrunArgv } from '../../src/runner/torchrun';

describe('torchrun command lines', () => {
  it('reads both spellings, = or a separate value, and keeps the script and its arguments apart', () => {
    for (const argv of [
      ['--nproc-per-node', '2', 'train.py', '--epochs', '1'],
      ['--nproc_per_node=2', 'train.py', '--epochs', '1'],
      ['--standalone', '--nproc-per-node=2', 'train.py', '--epochs', '1'],
    ]) {
      const job = parseTorchrunArgs(argv);
      assert.deepEqual(job.distributed, { nprocPerNode: 2 }, argv.join(' '));
      assert.equal(job.script, 'train.py');
      assert.equal(job.module, false);
      assert.deepEqual(job.args, ['--epochs', '1'], 'the script\'s own options are not torchrun\'s');
    }
    const nodes = parseTorchrunArgs(['--nnodes', '2', '--node_rank=1', '--rdzv-backend', 'c10d', '--rdzv_endpoint', '127.0.0.1:29400',
      '--nproc-per-node', '1', '-m', 'pkg.train', '--lr', '0.1']);
    assert.deepEqual(nodes.distributed, { nprocPerNode: 1, nnodes: 2, nodeRank: 1, rdzvEndpoint: '127.0.0.1:29400' });
    assert.deepEqual([nodes.script, nodes.module, nodes.args], ['pkg.train', true, ['--lr', '0.1']]);
    // What the runner then starts: torchrun with the same rendezvous, in the spelling torch 1.13 knows.
    const argv = torchrunArgv(nodes.distributed, '/logs', 'pd_harness.py', []);
    assert.deepEqual(argv.slice(argv.indexOf('--nnodes'), argv.indexOf('--rdzv_id')),
      ['--nnodes', '2', '--node_rank', '1', '--rdzv_backend', 'c10d', '--rdzv_endpoint', '127.0.0.1:29400']);
    // torchrun's agent looks at its ranks every 0.5 s, not its default 5 s: the verdict waits for that look.
    assert.equal(argv[argv.indexOf('--monitor_interval') + 1], '0.5');
  });

  it('drops what the runner sets itself, with a note, and --standalone wins over a rendezvous as in torchrun', () => {
    const job = parseTorchrunArgs(['--max-restarts', '3', '--redirects=3', '--rdzv-id', 'x', '--standalone', '--rdzv-endpoint', 'h:1',
      '--nproc-per-node', '2', 'train.py']);
    assert.deepEqual(job.distributed, { nprocPerNode: 2 });
    assert.deepEqual(job.notes.map((n) => n.split(' dropped')[0]), ['torchrun --max-restarts 3', 'torchrun --redirects 3', 'torchrun --rdzv-id x']);
  });

  it('refuses by name what the runner cannot honour', () => {
    const refused: [string[], RegExp][] = [
      [['--nnodes', '1:2', 'train.py'], /--nnodes 1:2: elastic node ranges are not supported/],
      [['--nproc-per-node', 'gpu', 'train.py'], /needs the number of ranks per node \(e\.g\. 2\), not 'gpu'/],
      [['--nnodes', '2', 'train.py'], /several nodes needs --rdzv-endpoint HOST:PORT/],
      [['--nnodes', '2', '--master-addr', 'h', '--master-port', '1', 'train.py'], /static rendezvous\) is not supported/],
      [['--standalone', '--nnodes', '2', '--rdzv-endpoint', 'h:1', 'train.py'], /--standalone runs one node/],
      [['--rdzv-backend', 'etcd', 'train.py'], /c10d rendezvous only/],
      [['--no-python', 'train.sh'], /--no-python is not supported/],
      [['--bogus', '1', 'train.py'], /torchrun option --bogus is not supported/],
      [['--nproc-per-node', '2'], /names no training script/],
      [['--nproc-per-node'], /--nproc-per-node needs a value/],
    ];
    for (const [argv, message] of refused) assert.throws(() => parseTorchrunArgs(argv), message, argv.join(' '));
  });

  it('recognises torchrun and python -m torch.distributed.run as launchers, nothing else', () => {
    assert.deepEqual(torchrunInvocation(['torchrun', '--nproc-per-node=2', 'a.py']), { launcher: 'torchrun', kind: 'torchrun', rest: ['--nproc-per-node=2', 'a.py'] });
    assert.deepEqual(torchrunInvocation(['/v/bin/torchrun', 'a.py'])?.launcher, '/v/bin/torchrun');
    assert.deepEqual(torchrunInvocation(['python3.11', '-m', 'torch.distributed.run', 'a.py']), { launcher: 'python3.11', kind: 'python', rest: ['a.py'] });
    for (const words of [['python', 'train.py'], ['python', '-m', 'torch.distributed.launch', 'a.py'], ['accelerate', 'launch', 'a.py'], []]) {
      assert.equal(torchrunInvocation(words), null, words.join(' '));
    }
  });
});

describe('shell task command lines', () => {
  it('splits words as a POSIX shell does: quotes and backslashes', () => {
    assert.deepEqual(shellWords(`torchrun --nproc_per_node=2 'my dir/train.py' --name "a \\"b\\"" c\\ d  `),
      ['torchrun', '--nproc_per_node=2', 'my dir/train.py', '--name', 'a "b"', 'c d']);
    assert.deepEqual(shellWords("x '' y"), ['x', '', 'y']);
  });

  it('refuses what needs a shell, rather than running something else', () => {
    for (const line of ['torchrun a.py && echo done', 'torchrun a.py | tee log', 'torchrun $SCRIPT', 'torchrun "$HOME/a.py"', 'torchrun a.py > log', "torchrun 'a.py"]) {
      assert.throws(() => shellWords(line), /needs a shell|unterminated/, line);
    }
  });
});
