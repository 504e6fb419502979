// Checks of a publishable package's package.json and of the files its tarball contains.

/** Packages with no framework behind them; every other package is an adapter and needs a peer dependency. */
const FRAMEWORK_FREE = new Set(['core', 'adapter-testkit']);

const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

const isNonEmptyString = (value) => typeof value === 'string' && value.trim() !== '';

/**
 * Returns what the package.json of packages/<folder> lacks for a release: one line per missing
 * or invalid field, empty when it is complete.
 */
export function manifestProblems(manifest, folder) {
  const problems = [];
  const expect = (condition, message) => {
    if (!condition) {
      problems.push(message);
    }
  };

  expect(manifest.name === `@factorized/${folder}`, `name must be "@factorized/${folder}", got ${JSON.stringify(manifest.name)}`);
  expect(typeof manifest.version === 'string' && SEMVER.test(manifest.version), `version must be a semver version, got ${JSON.stringify(manifest.version)}`);
  expect(manifest.private !== true, 'private must not be true for a published package');
  expect(isNonEmptyString(manifest.description), 'description is missing');
  expect(isNonEmptyString(manifest.license), 'license is missing');
  expect(isNonEmptyString(manifest.repository?.url), 'repository.url is missing');
  expect(
    manifest.repository?.directory === `packages/${folder}`,
    `repository.directory must be "packages/${folder}", got ${JSON.stringify(manifest.repository?.directory)}`,
  );
  expect(
    Array.isArray(manifest.keywords) && manifest.keywords.length > 0 && manifest.keywords.every(isNonEmptyString),
    'keywords must be a non-empty array of strings',
  );
  expect(Array.isArray(manifest.files) && manifest.files.includes('dist'), 'files must list "dist"');
  expect(
    typeof manifest.sideEffects === 'boolean' || Array.isArray(manifest.sideEffects),
    'sideEffects is missing (false, true or a list of files)',
  );
  expect(isNonEmptyString(manifest.engines?.node), 'engines.node is missing');
  expect(isNonEmptyString(manifest.main), 'main is missing (the CommonJS entry for tools that ignore exports)');
  expect(isNonEmptyString(manifest.types), 'types is missing');

  const root = manifest.exports?.['.'];
  for (const condition of ['import', 'require']) {
    for (const field of ['types', 'default']) {
      expect(isNonEmptyString(root?.[condition]?.[field]), `exports["."].${condition}.${field} is missing`);
    }
  }
  if (root?.import && root?.require) {
    expect(
      Object.keys(root.import)[0] === 'types' && Object.keys(root.require)[0] === 'types',
      'exports["."].import and .require must list "types" first, because TypeScript takes the first matching condition',
    );
  }

  if (!FRAMEWORK_FREE.has(folder)) {
    const peers = Object.keys(manifest.peerDependencies ?? {});
    expect(peers.length > 0, 'peerDependencies must name the framework of the adapter');
    for (const peer of peers) {
      expect(
        manifest.devDependencies?.[peer] !== undefined,
        `devDependencies must also list the peer ${peer}, so the package's own tests install it`,
      );
    }
  }

  return problems;
}

/** Returns the files that the tarball of `manifest` lacks or should not contain, from `npm pack --json`'s file list. */
export function tarballProblems(manifest, files) {
  const paths = new Set(files.map((file) => file.path));
  const problems = [];

  const entryPoints = new Set([manifest.main, manifest.module, manifest.types]);
  const root = manifest.exports?.['.'];
  for (const condition of ['import', 'require']) {
    for (const field of ['types', 'default']) {
      entryPoints.add(root?.[condition]?.[field]);
    }
  }
  for (const entry of entryPoints) {
    if (typeof entry === 'string' && !paths.has(entry.replace(/^\.\//, ''))) {
      problems.push(`${entry} is not in the tarball`);
    }
  }

  if (!paths.has('README.md')) {
    problems.push('README.md is not in the tarball');
  }
  if (![...paths].some((path) => /^(LICENSE|LICENCE)(\.md|\.txt)?$/i.test(path))) {
    problems.push('LICENSE is not in the tarball: copy the repository LICENSE into the package folder');
  }

  const unexpected = [...paths].filter(
    (path) => !path.startsWith('dist/') && !/^(package\.json|README\.md|CHANGELOG\.md|LICEN[CS]E(\.md|\.txt)?)$/i.test(path),
  );
  if (unexpected.length > 0) {
    problems.push(`unexpected files in the tarball: ${unexpected.slice(0, 5).join(', ')}${unexpected.length > 5 ? ', …' : ''}`);
  }

  return problems;
}
