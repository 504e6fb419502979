// Sums the jest result files that each workspace's `test` script writes and prints one line
// "N passed, N failed". A suite that failed to run (a syntax error, a crash in setup) counts as
// one failed test, because jest reports no test results for it. Exits 1 when nothing ran.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

let passed = 0;
let failed = 0;
let files = 0;

for (const group of ['packages', 'apps']) {
  if (!existsSync(group)) {
    continue;
  }
  for (const entry of readdirSync(group)) {
    const resultPath = join(group, entry, 'jest-results.json');
    if (!existsSync(resultPath)) {
      continue;
    }
    const result = JSON.parse(readFileSync(resultPath, 'utf8'));
    files += 1;
    passed += result.numPassedTests;
    failed += result.numFailedTests + result.numRuntimeErrorTestSuites;
  }
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(files === 0 || passed + failed === 0 ? 1 : 0);
