import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';

// Runs the `adapter` generator of turbo/generators/config.ts in a temporary copy of the files it
// reads, never in the repository itself, then type-checks and tests what it wrote.

jest.setTimeout(60_000);

const repositoryRoot = resolve(__dirname, '../../..');
const generatorCli = join(repositoryRoot, 'node_modules/@turbo/gen/dist/cli.js');
const childEnvironment = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', NO_COLOR: '1' };

let copyRoot = '';

/** Copies what the generator reads into a temporary folder; node_modules, core and the testkit are symlinks. */
function createRepositoryCopy(): string {
  const root = mkdtempSync(join(tmpdir(), 'factorized-generator-'));
  for (const file of ['package.json', 'turbo.json', 'tsconfig.base.json', 'LICENSE']) {
    cpSync(join(repositoryRoot, file), join(root, file));
  }
  cpSync(join(repositoryRoot, 'turbo'), join(root, 'turbo'), { recursive: true });
  mkdirSync(join(root, '.changeset'));
  cpSync(join(repositoryRoot, '.changeset/config.json'), join(root, '.changeset/config.json'));
  mkdirSync(join(root, 'packages'));
  symlinkSync(join(repositoryRoot, 'node_modules'), join(root, 'node_modules'), 'dir');
  symlinkSync(join(repositoryRoot, 'packages/core'), join(root, 'packages/core'), 'dir');
  symlinkSync(join(repositoryRoot, 'packages/adapter-testkit'), join(root, 'packages/adapter-testkit'), 'dir');
  return root;
}

/** Runs `turbo gen adapter` without prompts: every answer is passed with --args. */
function generate(root: string, answers: string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [generatorCli, 'run', 'adapter', '--root', root, '--args', ...answers], {
    cwd: root,
    env: childEnvironment,
    input: '',
    encoding: 'utf8',
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

beforeAll(() => {
  copyRoot = createRepositoryCopy();
  const { status, output } = generate(copyRoot, ['onnx', 'onnxruntime-node', '^1.20.0', 'Factorized layers for "ONNX".']);
  if (status !== 0) {
    throw new Error(`The generator exited with ${status}:\n${output}`);
  }
});

afterAll(() => {
  if (copyRoot !== '') {
    rmSync(copyRoot, { recursive: true, force: true });
  }
});

describe('adapter generator', () => {
  it.each([
    'package.json',
    'tsconfig.json',
    'tsup.config.ts',
    'jest.config.cjs',
    'README.md',
    'LICENSE',
    'src/index.ts',
    'test/conformance.test.ts',
  ])('writes %s', (file) => {
    expect(existsSync(join(copyRoot, 'packages/onnx', file))).toBe(true);
  });

  it('writes a minor changeset', () => {
    const changeset = readFileSync(join(copyRoot, '.changeset/onnx-first-release.md'), 'utf8');

    expect(changeset).toMatch(/^---\n'@factorized\/onnx': minor\n---\n/);
  });

  it('names the package', () => {
    expect(readJson(join(copyRoot, 'packages/onnx/package.json')).name).toBe('@factorized/onnx');
  });

  it('escapes the description', () => {
    expect(readJson(join(copyRoot, 'packages/onnx/package.json')).description).toBe('Factorized layers for "ONNX".');
  });

  it('makes the framework a peer', () => {
    expect(readJson(join(copyRoot, 'packages/onnx/package.json')).peerDependencies).toEqual({
      'onnxruntime-node': '^1.20.0',
    });
  });

  it('depends on the current core', () => {
    const coreVersion = readJson(join(repositoryRoot, 'packages/core/package.json')).version as string;

    expect(readJson(join(copyRoot, 'packages/onnx/package.json')).dependencies).toEqual({
      '@factorized/core': `^${coreVersion}`,
    });
  });

  it('sets the repository directory', () => {
    const repository = readJson(join(copyRoot, 'packages/onnx/package.json')).repository as Record<string, string>;

    expect(repository.directory).toBe('packages/onnx');
  });

  it('output type-checks', () => {
    const packageRoot = join(copyRoot, 'packages/onnx');
    // Core and the testkit are checked from source, so no build of either is needed.
    writeFileSync(
      join(packageRoot, 'tsconfig.check.json'),
      JSON.stringify({
        extends: './tsconfig.json',
        compilerOptions: {
          noEmit: true,
          rootDir: '/',
          paths: {
            '@factorized/core': ['../core/src/index.ts'],
            '@factorized/adapter-testkit': ['../adapter-testkit/src/index.ts'],
          },
        },
      }),
    );

    const tsc = join(repositoryRoot, 'node_modules/typescript/bin/tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.check.json'], {
      cwd: packageRoot,
      encoding: 'utf8',
    });

    expect(`${result.stdout}${result.stderr}`).toBe('');
  });

  it('skeleton fails every conformance check', () => {
    const jestCli = join(repositoryRoot, 'node_modules/jest/bin/jest.js');
    const resultsFile = join(copyRoot, 'jest-results.json');
    spawnSync(process.execPath, [jestCli, '--json', `--outputFile=${resultsFile}`], {
      cwd: join(copyRoot, 'packages/onnx'),
      env: childEnvironment,
      encoding: 'utf8',
    });
    const results = readJson(resultsFile) as {
      numPassedTests: number;
      numFailedTests: number;
      testResults: { assertionResults: { failureMessages: string[] }[] }[];
    };
    const messages = results.testResults.flatMap((file) =>
      file.assertionResults.flatMap((test) => test.failureMessages),
    );

    expect(results.numPassedTests).toBe(0);
    expect(results.numFailedTests).toBeGreaterThan(10);
    expect(messages.every((message) => message.includes('is not implemented yet'))).toBe(true);
  });

  it('rejects an existing package', () => {
    const { status, output } = generate(copyRoot, ['core', 'x', '*', 'x']);

    expect({ status, output: output.includes('packages/core already exists') }).toEqual({ status: 1, output: true });
  });

  it('rejects an invalid name', () => {
    const { output } = generate(copyRoot, ['Bad_Name', 'x', '*', 'x']);

    expect(output).toContain('Invalid name "Bad_Name"');
  });
});
