import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { PlopTypes } from '@turbo/gen';

// Turborepo generators. `adapter` scaffolds packages/<name>, a framework adapter whose skeleton
// fails the conformance kit until each member is implemented.
//
// Run them with the @turbo/gen installed in the repository:
//   npm run gen:adapter                      (prompts for each answer)
//   npm run gen:adapter -- --args <name> <framework> <framework range> <description>
// With --args give all four answers: an argument of "_" opens the prompt instead of taking its default.
// NOTE: `npx turbo gen adapter` runs `npx @turbo/gen@<turbo's version>`. The installed turbo is
// 2.11.13, and @turbo/gen 2.11.13 is not on the npm registry (2.11.9 is its latest), so that
// command fails with ETARGET until the two versions match.

const PACKAGE_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
// npm package names, scoped or not: lowercase, no leading dot or underscore.
const NPM_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

interface PackageJson {
  name: string;
  version: string;
  license: string;
  repository: { type: string; url: string };
}

function readPackageJson(root: string, folder: string): PackageJson {
  return JSON.parse(readFileSync(join(root, 'packages', folder, 'package.json'), 'utf8')) as PackageJson;
}

export default function generator(plop: PlopTypes.NodePlopAPI): void {
  const root = plop.getDestBasePath();
  const template = (file: string): string => join(plop.getPlopfilePath(), 'templates', 'adapter', file);

  // Writes a string as a JSON string literal, quotes and escapes included.
  plop.setHelper('json', (value: unknown) => JSON.stringify(value));

  plop.setGenerator('adapter', {
    description: 'A Factorized adapter for another JavaScript ML framework, wired to @factorized/adapter-testkit',
    prompts: [
      {
        type: 'input',
        name: 'name',
        message: 'Adapter name, the folder packages/<name> and the package @factorized/<name> (lowercase, dashes):',
        validate: (input: string) => {
          if (!PACKAGE_NAME.test(input)) {
            return `Invalid name "${input}": expected lowercase letters, digits and single dashes, starting with a letter.`;
          }
          if (existsSync(join(root, 'packages', input))) {
            return `packages/${input} already exists; choose another name.`;
          }
          return true;
        },
      },
      {
        type: 'input',
        name: 'framework',
        message: 'npm package of the framework, a peer dependency of the adapter:',
        validate: (input: string) =>
          NPM_NAME.test(input) || `Invalid framework "${input}": expected an npm package name such as onnxruntime-node.`,
      },
      {
        type: 'input',
        name: 'frameworkRange',
        message: 'Version range of the framework that the adapter supports:',
        default: '*',
        validate: (input: string) =>
          input.trim() !== '' || 'Invalid framework range "": expected a semver range such as ^1.20.0.',
      },
      {
        type: 'input',
        name: 'description',
        message: 'One-sentence description for package.json and the README:',
        default: (answers: PlopTypes.Answers) =>
          `Factorized layers for ${String(answers.framework)}, with spectral initialization and Frobenius decay.`,
      },
    ],
    actions: () => {
      const core = readPackageJson(root, 'core');
      const testkit = readPackageJson(root, 'adapter-testkit');
      const data = {
        coreVersion: core.version,
        testkitVersion: testkit.version,
        license: core.license,
        repositoryUrl: core.repository.url,
      };
      const file = (target: string, source: string): PlopTypes.AddActionConfig => ({
        type: 'add',
        path: `packages/{{name}}/${target}`,
        templateFile: template(source),
        data,
        abortOnFail: true,
      });

      return [
        file('package.json', 'package.json.hbs'),
        file('tsconfig.json', 'tsconfig.json.hbs'),
        file('tsup.config.ts', 'tsup.config.ts.hbs'),
        file('jest.config.cjs', 'jest.config.cjs.hbs'),
        file('README.md', 'README.md.hbs'),
        {
          type: 'add',
          path: 'packages/{{name}}/LICENSE',
          templateFile: join(root, 'LICENSE'),
          abortOnFail: true,
        },
        file('src/index.ts', 'index.ts.hbs'),
        file('test/conformance.test.ts', 'conformance.test.ts.hbs'),
        {
          type: 'add',
          path: '.changeset/{{name}}-first-release.md',
          templateFile: template('changeset.md.hbs'),
          data,
          abortOnFail: true,
        },
        (answers: PlopTypes.Answers) =>
          `Next: npm install (links the new workspace), then npm test -w @factorized/${String(answers.name)}. ` +
          'Every conformance check fails with "not implemented yet" until src/index.ts implements the adapter.',
      ];
    },
  });
}
