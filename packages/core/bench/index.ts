// Benchmarks of @factorized/core: truncated SVD against ml-matrix's full SVD, and Frobenius
// decay through Gram matrices against forming the product. Run with
// `npm run bench -w @factorized/core`. Prints Markdown tables for BENCHMARKS.md.
import os from 'node:os';

import { Matrix as MlMatrix, SingularValueDecomposition } from 'ml-matrix';

import { frobeniusDecay } from '../src/frobenius-decay.js';
import { Matrix } from '../src/matrix.js';
import { frobeniusNorm, matMul, scale, subtract } from '../src/matrix-ops.js';
import type { SvdMethod } from '../src/truncated-svd.js';
import { truncatedSvd } from '../src/truncated-svd.js';
import { gaussianMatrix, matrixWithSpectrum, optimalError } from './matrices.js';
import { medianTime, timeOnce } from './timing.js';

const SIZE = 1024;
const RANK = 128;
const TIMED_RUNS = 3;
const DECAY_COEFFICIENT = 1e-4;

interface SvdRow {
  matrix: string;
  method: string;
  milliseconds: number;
  speedUp: number;
  errorRatio: number;
}

/** ‖A − U·diag(σ)·Vᵀ‖_F for U (m × r), σ (r) and V (n × r). */
function approximationError(matrix: Matrix, left: Matrix, values: ArrayLike<number>, right: Matrix): number {
  const rank = values.length;
  const scaledLeft = left.clone();
  for (let i = 0; i < scaledLeft.rows; i++) {
    for (let k = 0; k < rank; k++) {
      scaledLeft.data[i * rank + k] *= values[k];
    }
  }
  return frobeniusNorm(subtract(matrix, matMul(scaledLeft, right, { transposeB: true })));
}

function benchmarkSvd(name: string, matrix: Matrix, knownSpectrum?: readonly number[]): SvdRow[] {
  console.error(`${name}: ml-matrix full SVD (one run)...`);
  const input = new MlMatrix(matrix.toRows());
  const reference = timeOnce(() => new SingularValueDecomposition(input));
  const exactValues = knownSpectrum ?? reference.result.diagonal;
  const optimum = optimalError(exactValues, RANK);

  const referenceLeft = new Matrix(SIZE, RANK, Float64Array.from(reference.result.leftSingularVectors.subMatrix(0, SIZE - 1, 0, RANK - 1).to1DArray()));
  const referenceRight = new Matrix(SIZE, RANK, Float64Array.from(reference.result.rightSingularVectors.subMatrix(0, SIZE - 1, 0, RANK - 1).to1DArray()));
  const rows: SvdRow[] = [
    {
      matrix: name,
      method: 'ml-matrix full SVD',
      milliseconds: reference.milliseconds,
      speedUp: 1,
      errorRatio:
        approximationError(matrix, referenceLeft, reference.result.diagonal.slice(0, RANK), referenceRight) / optimum,
    },
  ];

  for (const method of ['block-krylov', 'randomized'] as SvdMethod[]) {
    console.error(`${name}: truncatedSvd ${method} (1 warm-up and ${TIMED_RUNS} timed runs)...`);
    const { result, milliseconds } = medianTime(() => truncatedSvd(matrix, RANK, { method }), TIMED_RUNS);
    rows.push({
      matrix: name,
      method: `truncatedSvd '${method}'`,
      milliseconds,
      speedUp: reference.milliseconds / milliseconds,
      errorRatio:
        approximationError(matrix, result.leftSingularVectors, result.singularValues, result.rightSingularVectors) / optimum,
    });
  }
  return rows;
}

/** Computes the penalty (λ/2)‖U·V‖²_F and its gradients λ·W·Vᵀ and λ·Uᵀ·W from the product W = U·V. */
function frobeniusDecayFromProduct(left: Matrix, right: Matrix, coefficient: number) {
  const product = matMul(left, right);
  const norm = frobeniusNorm(product);
  return {
    value: 0.5 * coefficient * norm * norm,
    left: scale(matMul(product, right, { transposeB: true }), coefficient),
    right: scale(matMul(left, product, { transposeA: true }), coefficient),
  };
}

function largestRelativeDifference(actual: Matrix, expected: Matrix): number {
  return frobeniusNorm(subtract(actual, expected)) / frobeniusNorm(expected);
}

function main(): void {
  const loadBefore = os.loadavg()[0];
  const svdRows = [
    ...benchmarkSvd('Gaussian', gaussianMatrix(SIZE, SIZE, 1)),
    ...(() => {
      const spectrum = Array.from({ length: SIZE }, (_value, i) => 1 / (i + 1));
      return benchmarkSvd('σᵢ = 1/i', matrixWithSpectrum(SIZE, spectrum, 2), spectrum);
    })(),
  ];

  console.error('Frobenius decay: Gram form and dense product (1 warm-up and 5 timed runs each)...');
  const left = gaussianMatrix(SIZE, RANK, 3);
  const right = gaussianMatrix(RANK, SIZE, 4);
  const gramForm = medianTime(() => frobeniusDecay({ left, right }, DECAY_COEFFICIENT), 5);
  const denseForm = medianTime(() => frobeniusDecayFromProduct(left, right, DECAY_COEFFICIENT), 5);
  const valueDifference = Math.abs(gramForm.result.value - denseForm.result.value) / denseForm.result.value;
  const gradientDifference = Math.max(
    largestRelativeDifference(gramForm.result.gradients.left, denseForm.result.left),
    largestRelativeDifference(gramForm.result.gradients.right, denseForm.result.right),
  );
  const loadAfter = os.loadavg()[0];

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`Node ${process.version}, ${cpu}, ${os.cpus().length} cores, ${new Date().toISOString().slice(0, 10)}.`);
  console.log(`1-minute load average ${loadBefore.toFixed(2)} at the start and ${loadAfter.toFixed(2)} at the end.`);
  console.log('');
  console.log(`Truncated SVD, ${SIZE} × ${SIZE}, rank ${RANK}. Error is ‖A − UΣVᵀ‖_F over the optimum (Σ_{i>${RANK}} σᵢ²)^½.`);
  console.log('');
  console.log('| Matrix | Method | Time (s) | Speed-up | Error / optimum |');
  console.log('| --- | --- | ---: | ---: | ---: |');
  for (const row of svdRows) {
    console.log(
      `| ${row.matrix} | ${row.method} | ${(row.milliseconds / 1000).toFixed(3)} | ${row.speedUp.toFixed(1)}× | ${row.errorRatio.toFixed(7)} |`,
    );
  }
  console.log('');
  console.log(`Frobenius decay value and gradients, U ${SIZE} × ${RANK}, V ${RANK} × ${SIZE}, median of 5 runs.`);
  console.log('');
  console.log('| Form | Time (ms) | Speed-up |');
  console.log('| --- | ---: | ---: |');
  console.log(`| Dense product U·V | ${denseForm.milliseconds.toFixed(1)} | 1.0× |`);
  console.log(
    `| Gram matrices (frobeniusDecay) | ${gramForm.milliseconds.toFixed(1)} | ${(denseForm.milliseconds / gramForm.milliseconds).toFixed(1)}× |`,
  );
  console.log('');
  console.log(
    `Relative difference between the forms: value ${valueDifference.toExponential(1)}, gradients ${gradientDifference.toExponential(1)}.`,
  );
}

main();
