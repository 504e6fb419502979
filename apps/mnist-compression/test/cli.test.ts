import { spawn } from 'node:child_process';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { fileSystem } from '@factorized/tfjs';

const appRoot = fileURLToPath(new URL('..', import.meta.url));
const tsconfig = join(appRoot, 'test', 'tsconfig.source.json');
/** Maximum wait for a CLI that should stop before training, so a hang beyond it fails the test. */
const USAGE_TIMEOUT_MS = 30_000;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI from source in a node process with the tsx loader, so signals reach the CLI itself
 * rather than the tsx command's relay. `onStderr` receives the stderr text so far after every
 * chunk and may send the child a signal. After `timeoutMs` the child is killed (code null).
 */
function runCli(args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void, timeoutMs?: number): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(appRoot, 'src', 'cli.ts'), ...args], {
      cwd: appRoot,
      env: { ...process.env, TSX_TSCONFIG_PATH: tsconfig },
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

const smallRun = ['--train-size', '300', '--validation-size', '100', '--test-size', '300', '--width', '16', '--batch-size', '64', '--backend', 'cpu', '--workers', '1'];

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'mnist-cli-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('mnist-compression command line', () => {
  it.each([
    [['--model', 'rnn'], '--model'],
    [['--ratio', '0'], '--ratio'],
    [['--epochs', '1.5'], '--epochs'],
  ])('exits with code 2 for %p', async (args, flag) => {
    const out = join(folder, `never-${flag}`);
    const run = await runCli([...args, '--out', out], undefined, USAGE_TIMEOUT_MS);
    expect({ code: run.code, lines: run.stderr.trimEnd().split('\n').length, namesFlag: run.stderr.includes(flag), wrote: await exists(out) }).toEqual({
      code: 2,
      lines: 1,
      namesFlag: true,
      wrote: false,
    });
  }, 2 * USAGE_TIMEOUT_MS);

  // NOTE: as root, access() calls /proc and /sys writable, but nothing can be created there, and
  // on Node 20 a recursive mkdir under /proc never returns.
  const onLinux = process.platform === 'linux' ? it.each : it.skip.each;
  onLinux(['/proc/x', '/sys/x'])('exits with code 2 for --out %s', async (out) => {
    const run = await runCli(['--out', out], undefined, USAGE_TIMEOUT_MS);
    expect({ code: run.code, lines: run.stderr.trimEnd().split('\n').length, names: run.stderr.includes(`--out "${out}"`) }).toEqual({
      code: 2,
      lines: 1,
      names: true,
    });
  }, 2 * USAGE_TIMEOUT_MS);

  describe('end to end', () => {
    let run: CliRun;
    let out: string;
    beforeAll(async () => {
      // A nested new folder: the CLI creates every level.
      out = join(folder, 'new', 'nested', 'complete');
      run = await runCli([...smallRun, '--epochs', '1', '--out', out]);
    }, 300_000);

    it('exits with code 0', () => {
      expect(run.code).toBe(0);
    });

    it('prints the table of all runs', () => {
      const rows = run.stdout.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| run'));
      expect(rows.map((row) => row.split('|')[1].trim())).toEqual([
        'dense',
        'low-rank',
        'low-rank + SI',
        'low-rank + FD',
        'low-rank + SI + FD',
        'overcomplete ×3 + FD, collapsed',
      ]);
    });

    it('writes a complete results.json', async () => {
      const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as { status: string; results: { testAccuracy: number }[] };
      expect({ status: results.status, runs: results.results.length }).toEqual({ status: 'complete', runs: 6 });
    });

    it('records accuracies as fractions', async () => {
      const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as { results: { testAccuracy: number }[] };
      expect(results.results.every((result) => result.testAccuracy >= 0 && result.testAccuracy <= 1)).toBe(true);
    });

    it('writes the table to results.md', async () => {
      expect(await readFile(join(out, 'results.md'), 'utf8')).toContain(run.stdout.trim().split('\n')[0]);
    });

    it('writes the chart as SVG', async () => {
      const svg = await readFile(join(out, 'accuracy-vs-parameters.svg'), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
    });

    it('labels the chart axis', async () => {
      expect(await readFile(join(out, 'accuracy-vs-parameters.svg'), 'utf8')).toContain('parameters (log scale)');
    });

    it('names every run in the legend', async () => {
      expect(await readFile(join(out, 'accuracy-vs-parameters.svg'), 'utf8')).toContain('low-rank + SI + FD');
    });

    it('saves a loadable collapsed model', async () => {
      const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as { plan: { denseParameters: number } };
      const model = await tf.loadLayersModel(fileSystem(join(out, 'best-collapsed-model', 'model.json')));
      expect(model.countParams()).toBe(results.plan.denseParameters);
    });
  });

  it('stops cleanly on SIGINT', async () => {
    const out = join(folder, 'interrupted');
    let signalled = false;
    // The signal goes out once low-rank reports an epoch, so dense is saved and low-rank is training.
    const run = await runCli([...smallRun, '--epochs', '60', '--runs', 'dense,low-rank', '--out', out], (stderr, child) => {
      if (!signalled && /^low-rank \[seed 1\]: epoch \d+,/m.test(stderr)) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as { status: string; results: { run: string }[] };
    expect({ code: run.code, status: results.status, runs: results.results.map((result) => result.run), interruptedMessage: /Interrupted/.test(run.stderr) }).toEqual({
      code: 130,
      status: 'interrupted',
      runs: ['dense'],
      interruptedMessage: true,
    });
  }, 300_000);
});
