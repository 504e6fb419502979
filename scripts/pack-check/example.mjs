// Turns a README's first TypeScript example into scripts that pack-check type-checks and runs.

import ts from 'typescript';

/** Returns the first ```ts block of a README, or null when there is none. */
export function readmeExample(readme) {
  const match = /^```(?:ts|typescript)\n([\s\S]*?)^```/m.exec(readme);
  return match === null ? null : match[1];
}

/**
 * Returns a module that keeps the example's imports at the top and runs the rest of it, after the
 * prelude, inside an async function. The same source then works as ESM and as CommonJS, where
 * top-level await is not allowed, and a rejection sets a non-zero exit code.
 */
export function assembleExample(example, prelude = '') {
  const source = ts.createSourceFile('example.ts', example, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const imports = [];
  const body = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) || ts.isImportEqualsDeclaration(statement)) {
      imports.push(statement.getText(source));
    } else {
      body.push(statement.getFullText(source));
    }
  }

  return [
    ...imports,
    '',
    'async function main(): Promise<void> {',
    prelude.trim(),
    body.join('').replace(/^\n+/, ''),
    '}',
    '',
    'main().catch((error: unknown) => {',
    '  console.error(error);',
    '  process.exitCode = 1;',
    '});',
    '',
  ].join('\n');
}

/** Compiles the assembled TypeScript to JavaScript as an ES module ('esm') or CommonJS ('cjs'). */
export function transpileExample(source, format) {
  const { outputText } = ts.transpileModule(source, {
    fileName: format === 'esm' ? 'example.mts' : 'example.cts',
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: format === 'esm' ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS,
      esModuleInterop: true,
    },
  });
  return outputText;
}

/** The tsconfig that type-checks the examples as a Node user's project would. */
export const EXAMPLE_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2022'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    esModuleInterop: true,
    // NOTE: the .d.ts files of tfjs, brain.js and gpu.js have type errors of their own (tfjs 4.22,
    // brain.js 2.0.0-beta.24), as a user's project without skipLibCheck would report.
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  },
  include: ['examples/*.mts', 'examples/*.cts'],
};
