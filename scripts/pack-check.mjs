#!/usr/bin/env node
// Checks that every publishable package installs and works outside the monorepo.
//
// Each package under packages/ that is not private is built with turbo, its package.json is
// checked, and `npm pack` writes its tarball. All tarballs are then installed, with the
// frameworks they peer-depend on from the npm registry, into a new project in the system's temp
// folder. There the first ```ts example of each README is type-checked by tsc and run by node,
// both as ESM and as CommonJS. Every failure names the package and the step.
//
// Usage: npm run pack-check [-- --keep]   (--keep leaves the temporary project in place)

/* global console, process */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { assembleExample, EXAMPLE_TSCONFIG, readmeExample, transpileExample } from './pack-check/example.mjs';
import { manifestProblems, tarballProblems } from './pack-check/manifest.mjs';
import { PRELUDES } from './pack-check/preludes.mjs';

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const requireFromRepository = createRequire(join(repositoryRoot, 'package.json'));
const keep = process.argv.includes('--keep');
const RUN_TIMEOUT_MS = 300_000;

const failures = [];

function fail(packageName, step, detail) {
  failures.push({ packageName, step, detail });
  console.log(`[pack-check] ${packageName} ${step}: FAILED\n${indent(detail)}`);
}

function pass(packageName, step) {
  console.log(`[pack-check] ${packageName} ${step}: ok`);
}

function indent(text) {
  return text
    .trimEnd()
    .split('\n')
    .slice(-40)
    .map((line) => `    ${line}`)
    .join('\n');
}

/** Runs a command and returns its exit status, its stdout, and the combined output with any spawn error. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    timeout: RUN_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', ...options.env },
    ...options,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? `\n${result.error.message}` : ''}`;
  return { ok: result.status === 0 && result.error === undefined, status: result.status, stdout: result.stdout ?? '', output };
}

/** The version of `name` installed in the repository, so the check uses what the tests use. */
function installedVersion(name) {
  try {
    return requireFromRepository(`${name}/package.json`).version;
  } catch {
    return undefined;
  }
}

function discoverPackages() {
  const packagesRoot = join(repositoryRoot, 'packages');
  return readdirSync(packagesRoot, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(packagesRoot, entry.name, 'package.json')))
    .map((entry) => {
      const directory = join(packagesRoot, entry.name);
      const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8'));
      return { folder: entry.name, directory, manifest, name: manifest.name ?? `packages/${entry.name}` };
    })
    .filter((candidate) => candidate.manifest.private !== true);
}

function buildAndPack(candidate, tarballDirectory) {
  const { name, directory, manifest, folder } = candidate;

  const problems = manifestProblems(manifest, folder);
  if (problems.length > 0) {
    fail(name, 'package.json', problems.join('\n'));
  } else {
    pass(name, 'package.json');
  }

  const build = run('npx', ['turbo', 'run', 'build', `--filter=${name}`, '--output-logs=errors-only'], {
    cwd: repositoryRoot,
  });
  if (!build.ok) {
    fail(name, 'build', build.output);
    return null;
  }
  pass(name, 'build');

  const pack = run('npm', ['pack', '--json', '--pack-destination', tarballDirectory], { cwd: directory });
  if (!pack.ok) {
    fail(name, 'npm pack', pack.output);
    return null;
  }
  const [packed] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[')));
  const contentProblems = tarballProblems(manifest, packed.files);
  if (contentProblems.length > 0) {
    fail(name, 'tarball contents', contentProblems.join('\n'));
  } else {
    pass(name, `npm pack (${packed.files.length} files, ${packed.size} bytes)`);
  }
  return { ...candidate, tarball: join(tarballDirectory, packed.filename) };
}

function installProject(projectDirectory, packed) {
  const dependencies = {};
  const overrides = {};
  for (const candidate of packed) {
    const spec = `file:${candidate.tarball}`;
    dependencies[candidate.name] = spec;
    // The packages depend on each other by version range; the override makes npm take the tarball.
    overrides[candidate.name] = spec;
  }
  for (const candidate of packed) {
    for (const [peer, range] of Object.entries(candidate.manifest.peerDependencies ?? {})) {
      dependencies[peer] ??= installedVersion(peer) ?? range;
    }
  }
  dependencies.typescript = installedVersion('typescript') ?? '~5.9.3';
  dependencies['@types/node'] = installedVersion('@types/node') ?? '^20';

  writeFileSync(
    join(projectDirectory, 'package.json'),
    `${JSON.stringify({ name: 'factorized-pack-check', private: true, dependencies, overrides }, null, 2)}\n`,
  );
  console.log(`[pack-check] installing into ${projectDirectory}: ${Object.keys(dependencies).join(', ')}`);

  // NOTE: install scripts are skipped and optional dependencies omitted, because gpu.js' optional
  // `gl` builds native code, and brain.js runs without it.
  return run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--omit=optional', '--prefer-offline'],
    { cwd: projectDirectory },
  );
}

function checkExamples(projectDirectory, packed) {
  const examplesDirectory = join(projectDirectory, 'examples');
  mkdirSync(examplesDirectory, { recursive: true });
  const withExamples = [];

  for (const candidate of packed) {
    const readmePath = join(candidate.directory, 'README.md');
    const example = existsSync(readmePath) ? readmeExample(readFileSync(readmePath, 'utf8')) : null;
    if (example === null) {
      fail(candidate.name, 'example', 'README.md has no ```ts block to run.');
      continue;
    }

    const source = assembleExample(example, PRELUDES[candidate.folder]);
    writeFileSync(join(examplesDirectory, `${candidate.folder}.mts`), source);
    writeFileSync(join(examplesDirectory, `${candidate.folder}.cts`), source);
    writeFileSync(join(examplesDirectory, `${candidate.folder}.mjs`), transpileExample(source, 'esm'));
    writeFileSync(join(examplesDirectory, `${candidate.folder}.cjs`), transpileExample(source, 'cjs'));
    withExamples.push(candidate);
  }

  writeFileSync(join(projectDirectory, 'tsconfig.json'), `${JSON.stringify(EXAMPLE_TSCONFIG, null, 2)}\n`);
  const tsc = run(process.execPath, [join(projectDirectory, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
    cwd: projectDirectory,
  });
  const tscLines = tsc.output.split('\n');

  for (const candidate of withExamples) {
    for (const [extension, label] of [
      ['mts', 'tsc (ESM types)'],
      ['cts', 'tsc (CommonJS types)'],
    ]) {
      const errors = tscLines.filter((line) => line.startsWith(`examples/${candidate.folder}.${extension}`));
      if (errors.length > 0) {
        fail(candidate.name, label, errors.join('\n'));
      } else if (!tsc.ok && !tscLines.some((line) => line.startsWith('examples/'))) {
        fail(candidate.name, label, tsc.output);
      } else {
        pass(candidate.name, label);
      }
    }

    for (const [extension, label] of [
      ['mjs', 'run as ESM'],
      ['cjs', 'run as CommonJS'],
    ]) {
      const result = run(process.execPath, [join('examples', `${candidate.folder}.${extension}`)], {
        cwd: projectDirectory,
      });
      if (result.ok) {
        pass(candidate.name, label);
      } else {
        fail(candidate.name, label, result.output);
      }
    }
  }
}

function main() {
  const workDirectory = mkdtempSync(join(tmpdir(), 'factorized-pack-check-'));
  const tarballDirectory = join(workDirectory, 'tarballs');
  const projectDirectory = join(workDirectory, 'project');
  mkdirSync(tarballDirectory);
  mkdirSync(projectDirectory);

  try {
    const candidates = discoverPackages();
    console.log(`[pack-check] packages: ${candidates.map((candidate) => candidate.name).join(', ')}`);
    const packed = candidates.map((candidate) => buildAndPack(candidate, tarballDirectory)).filter(Boolean);

    if (packed.length > 0) {
      const install = installProject(projectDirectory, packed);
      if (install.ok) {
        pass(packed.map((candidate) => candidate.name).join(', '), 'npm install');
        checkExamples(projectDirectory, packed);
      } else {
        fail(packed.map((candidate) => candidate.name).join(', '), 'npm install', install.output);
      }
    }
  } finally {
    if (keep) {
      console.log(`[pack-check] kept ${workDirectory}`);
    } else {
      rmSync(workDirectory, { recursive: true, force: true });
    }
  }

  if (failures.length > 0) {
    console.log(`\n[pack-check] ${failures.length} failed step(s):`);
    for (const { packageName, step } of failures) {
      console.log(`  ${packageName}: ${step}`);
    }
    process.exitCode = 1;
  } else {
    console.log('\n[pack-check] every package packs, installs and runs its README example.');
  }
}

main();
