import fc from 'fast-check';

import { ConvergenceError, InvalidArgumentError, NonFiniteValueError } from '../src/errors.js';
import { Matrix } from '../src/matrix.js';
import { frobeniusNorm, gram, matMul, subtract } from '../src/matrix-ops.js';
import { householderQr } from '../src/orthonormal-basis.js';
import { SeededRandom } from '../src/random.js';
import { topSymmetricEigenpairs } from '../src/symmetric-eigen.js';
import type { TruncatedSvd, TruncatedSvdOptions } from '../src/truncated-svd.js';
import { fullSvd, truncatedSvd } from '../src/truncated-svd.js';

const EPSILON = Number.EPSILON;

// Error model behind the tolerances. Every method here is a sequence of Householder
// reflections and Givens rotations, each backward stable with an error of a few units of
// roundoff (ε) per entry touched. Under the probabilistic rounding model of Higham and Mary
// (SIAM J. Sci. Comput. 2019), k such steps on vectors of length m give errors of order
// √(k·m)·ε rather than the worst case k·m·ε. With k ≤ 2·min(m, n) reflections, the residual
// ‖A − UΣVᵀ‖_F is then of order √(2·m·n)·ε·‖A‖_F ≤ √2·max(m, n)·ε·‖A‖_F, and the loss of
// orthogonality ‖UᵀU − I‖ of order √(2·m·k)·ε ≤ 2·m·ε. A constant of 8 leaves a margin of
// about 4 over both estimates. Measured values stay below 3·max(m, n)·ε.
const RESIDUAL_CONSTANT = 8;
const ORTHOGONALITY_CONSTANT = 8;

const METHODS = ['exact', 'randomized', 'block-krylov'] as const;
const INPUT_KINDS = ['gaussian', 'zeros', 'rankOne', 'repeated', 'huge', 'tiny'] as const;
type InputKind = (typeof INPUT_KINDS)[number];

function gaussianMatrix(rows: number, columns: number, random: SeededRandom, scale = 1): Matrix {
  const result = new Matrix(rows, columns);
  for (let index = 0; index < result.data.length; index++) {
    result.data[index] = scale * random.nextNormal();
  }
  return result;
}

/** Orthonormal columns by modified Gram–Schmidt run twice, independent of the code under test. */
function randomOrthonormalColumns(rows: number, columns: number, random: SeededRandom): Matrix {
  const vectors = gaussianMatrix(columns, rows, random).toRows();
  for (let pass = 0; pass < 2; pass++) {
    for (let k = 0; k < columns; k++) {
      for (let j = 0; j < k; j++) {
        const dot = vectors[k].reduce((sum, value, i) => sum + value * vectors[j][i], 0);
        vectors[k] = vectors[k].map((value, i) => value - dot * vectors[j][i]);
      }
      const norm = Math.hypot(...vectors[k]);
      vectors[k] = vectors[k].map((value) => value / norm);
    }
  }
  return Matrix.fromRows(vectors).transpose();
}

/** P·diag(values)·Qᵀ for random orthonormal P (rows × k) and Q (columns × k). */
function matrixWithSpectrum(rows: number, columns: number, values: readonly number[], random: SeededRandom): Matrix {
  const left = randomOrthonormalColumns(rows, values.length, random);
  const right = randomOrthonormalColumns(columns, values.length, random);
  for (let i = 0; i < rows; i++) {
    for (let k = 0; k < values.length; k++) {
      left.data[i * values.length + k] *= values[k];
    }
  }
  return matMul(left, right, { transposeB: true });
}

function pathologicalMatrix(kind: InputKind, rows: number, columns: number, seed: number): Matrix {
  const random = new SeededRandom(seed);
  const smaller = Math.min(rows, columns);
  switch (kind) {
    case 'gaussian':
      return gaussianMatrix(rows, columns, random);
    case 'zeros':
      return Matrix.zeros(rows, columns);
    case 'rankOne':
      return matMul(gaussianMatrix(rows, 1, random), gaussianMatrix(1, columns, random));
    case 'repeated':
      return matrixWithSpectrum(rows, columns, Array.from({ length: smaller }, (_v, i) => (i < smaller / 2 ? 3 : 1)), random);
    case 'huge':
      return gaussianMatrix(rows, columns, random, 1e150);
    case 'tiny':
      return gaussianMatrix(rows, columns, random, 1e-150);
  }
}

function reconstruct(svd: TruncatedSvd): Matrix {
  const scaled = svd.leftSingularVectors.clone();
  const rank = svd.singularValues.length;
  for (let i = 0; i < scaled.rows; i++) {
    for (let k = 0; k < rank; k++) {
      scaled.data[i * rank + k] *= svd.singularValues[k];
    }
  }
  return matMul(scaled, svd.rightSingularVectors, { transposeB: true });
}

function orthogonalityError(vectors: Matrix): number {
  const products = gram(vectors, 'columns');
  let largest = 0;
  for (let i = 0; i < products.rows; i++) {
    for (let j = 0; j < products.columns; j++) {
      largest = Math.max(largest, Math.abs(products.get(i, j) - (i === j ? 1 : 0)));
    }
  }
  return largest;
}

function tailNorm(values: Float64Array, rank: number): number {
  let sum = 0;
  for (let i = rank; i < values.length; i++) {
    sum += values[i] * values[i];
  }
  return Math.sqrt(sum);
}

function isDescendingAndNonNegative(values: Float64Array): boolean {
  return values.every((value, i) => value >= 0 && (i === 0 || value <= values[i - 1]));
}

const smallInputs = fc.record({
  kind: fc.constantFrom(...INPUT_KINDS),
  rows: fc.integer({ min: 1, max: 9 }),
  columns: fc.integer({ min: 1, max: 9 }),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
});

describe('truncatedSvd', () => {
  describe.each(METHODS)('method %s', (method) => {
    it('reconstructs full-rank decompositions', () => {
      fc.assert(
        fc.property(smallInputs, ({ kind, rows, columns, seed }) => {
          const matrix = pathologicalMatrix(kind, rows, columns, seed);
          const svd = truncatedSvd(matrix, Math.min(rows, columns), { method });
          const residual = frobeniusNorm(subtract(matrix, reconstruct(svd)));
          expect(residual).toBeLessThanOrEqual(RESIDUAL_CONSTANT * Math.max(rows, columns) * EPSILON * frobeniusNorm(matrix));
        }),
        { seed: 11, numRuns: 60 },
      );
    });

    it('returns orthonormal singular vectors', () => {
      fc.assert(
        fc.property(smallInputs, fc.integer({ min: 1, max: 9 }), ({ kind, rows, columns, seed }, rankSeed) => {
          const rank = 1 + (rankSeed % Math.min(rows, columns));
          const svd = truncatedSvd(pathologicalMatrix(kind, rows, columns, seed), rank, { method });
          expect(orthogonalityError(svd.leftSingularVectors)).toBeLessThanOrEqual(ORTHOGONALITY_CONSTANT * rows * EPSILON);
          expect(orthogonalityError(svd.rightSingularVectors)).toBeLessThanOrEqual(ORTHOGONALITY_CONSTANT * columns * EPSILON);
        }),
        { seed: 12, numRuns: 60 },
      );
    });

    it('returns descending non-negative values', () => {
      fc.assert(
        fc.property(smallInputs, ({ kind, rows, columns, seed }) => {
          const svd = truncatedSvd(pathologicalMatrix(kind, rows, columns, seed), Math.min(rows, columns), { method });
          expect(isDescendingAndNonNegative(svd.singularValues)).toBe(true);
        }),
        { seed: 13, numRuns: 40 },
      );
    });

    it('returns the requested shapes', () => {
      const svd = truncatedSvd(gaussianMatrix(7, 5, new SeededRandom(1)), 3, { method });
      expect(svd.leftSingularVectors.shape).toEqual([7, 3]);
      expect(svd.rightSingularVectors.shape).toEqual([5, 3]);
      expect(svd.singularValues).toHaveLength(3);
      expect(svd.method).toBe(method);
    });

    it('signs left vectors by largest entry', () => {
      const svd = truncatedSvd(gaussianMatrix(8, 6, new SeededRandom(2)), 4, { method });
      const columns = svd.leftSingularVectors.transpose().toRows();
      for (const column of columns) {
        const largest = column.reduce((best, value) => (Math.abs(value) > Math.abs(best) ? value : best), 0);
        expect(largest).toBeGreaterThan(0);
      }
    });

    it('recovers a low-rank matrix exactly', () => {
      const random = new SeededRandom(3);
      const matrix = matMul(gaussianMatrix(40, 3, random), gaussianMatrix(3, 30, random));
      const svd = truncatedSvd(matrix, 5, { method });
      const residual = frobeniusNorm(subtract(matrix, reconstruct(svd)));
      expect(residual).toBeLessThanOrEqual(RESIDUAL_CONSTANT * 40 * EPSILON * frobeniusNorm(matrix));
      expect(svd.singularValues[3]).toBeLessThanOrEqual(RESIDUAL_CONSTANT * 40 * EPSILON * svd.singularValues[0]);
    });
  });

  describe('exact method', () => {
    it('meets the Eckart–Young optimum', () => {
      // ‖A − A_r‖_F = (Σ_{i>r} σᵢ²)^½ is exact for the truncated SVD A_r, so the only
      // difference left is rounding, bounded like the residual.
      fc.assert(
        fc.property(smallInputs, fc.integer({ min: 1, max: 9 }), ({ kind, rows, columns, seed }, rankSeed) => {
          const matrix = pathologicalMatrix(kind, rows, columns, seed);
          const rank = 1 + (rankSeed % Math.min(rows, columns));
          const error = frobeniusNorm(subtract(matrix, reconstruct(truncatedSvd(matrix, rank, { method: 'exact' }))));
          const optimum = tailNorm(fullSvd(matrix).singularValues, rank);
          expect(Math.abs(error - optimum)).toBeLessThanOrEqual(
            RESIDUAL_CONSTANT * Math.max(rows, columns) * EPSILON * frobeniusNorm(matrix),
          );
        }),
        { seed: 14, numRuns: 60 },
      );
    });

    it('recovers a known spectrum', () => {
      const values = [5, 4, 4, 2, 1e-3];
      const svd = fullSvd(matrixWithSpectrum(9, 6, values, new SeededRandom(4)));
      values.forEach((value, i) => {
        expect(Math.abs(svd.singularValues[i] - value)).toBeLessThanOrEqual(RESIDUAL_CONSTANT * 9 * EPSILON * 5);
      });
      expect(svd.singularValues[5]).toBeLessThanOrEqual(RESIDUAL_CONSTANT * 9 * EPSILON * 5);
    });

    it('keeps accuracy for 1e+150 entries', () => {
      const base = gaussianMatrix(6, 4, new SeededRandom(5));
      const reference = fullSvd(base).singularValues;
      const scaled = fullSvd(new Matrix(6, 4, base.data.map((value) => value * 1e150))).singularValues;
      reference.forEach((value, i) => {
        expect(Math.abs(scaled[i] / 1e150 - value)).toBeLessThanOrEqual(RESIDUAL_CONSTANT * 6 * EPSILON * reference[0]);
      });
    });

    it('keeps accuracy for 1e-150 entries', () => {
      const base = gaussianMatrix(4, 6, new SeededRandom(6));
      const reference = fullSvd(base).singularValues;
      const scaled = fullSvd(new Matrix(4, 6, base.data.map((value) => value * 1e-150))).singularValues;
      reference.forEach((value, i) => {
        expect(Math.abs(scaled[i] / 1e-150 - value)).toBeLessThanOrEqual(RESIDUAL_CONSTANT * 6 * EPSILON * reference[0]);
      });
    });
  });

  describe('randomized methods on 300×200', () => {
    const random = new SeededRandom(7);
    const spectrum = Array.from({ length: 200 }, (_v, i) => 1 / (i + 1));
    const decaying = matrixWithSpectrum(300, 200, spectrum, random);
    const rank = 20;
    const optimum = tailNorm(Float64Array.from(spectrum), rank);
    const errorOf = (options: TruncatedSvdOptions): number =>
      frobeniusNorm(subtract(decaying, reconstruct(truncatedSvd(decaying, rank, options))));

    it('meets the HMT bound without iterations', () => {
      // Halko, Martinsson and Tropp (SIAM Review 2011), Theorem 10.5 and its proof: for
      // Q = orth(A·Ω) with a Gaussian Ω of r + p columns, E‖(I − QQᵀ)A‖²_F ≤ (1 + r/(p − 1))·τ²,
      // τ = ‖A − A_r‖_F. The rank-r output U·Σ·Vᵀ = Q·[QᵀA]_r adds ‖QᵀA − [QᵀA]_r‖²_F ≤ τ²
      // (the singular values of QᵀA are at most those of A) in an orthogonal direction, so
      // E‖A − UΣVᵀ‖²_F ≤ (2 + r/(p − 1))·τ². A single seeded draw is tested against it.
      const oversampling = 10;
      const error = errorOf({ method: 'randomized', oversampling, powerIterations: 0, seed: 1 });
      expect(error ** 2).toBeLessThanOrEqual((2 + rank / (oversampling - 1)) * optimum ** 2);
    });

    it('block Krylov defaults reach 1.001 × optimum', () => {
      // Accuracy target of the defaults on a 1/i spectrum, not a theorem: Musco and Musco
      // (NeurIPS 2015) prove (1 + ε)·τ for Θ(log n/√ε) blocks with unstated constants.
      expect(errorOf({ method: 'block-krylov' })).toBeLessThanOrEqual(1.001 * optimum);
    });

    it('randomized defaults reach 1.01 × optimum', () => {
      expect(errorOf({ method: 'randomized' })).toBeLessThanOrEqual(1.01 * optimum);
    });

    it('never beats the optimum', () => {
      const error = errorOf({ method: 'randomized', powerIterations: 1 });
      expect(error).toBeGreaterThanOrEqual(optimum * (1 - RESIDUAL_CONSTANT * 300 * EPSILON));
    });

    it('stops adaptively within tolerance', () => {
      const svd = truncatedSvd(decaying, rank, { method: 'block-krylov', tolerance: 1e-4 });
      expect(svd.singularValues[0]).toBeCloseTo(1, 10);
    });

    it('throws ConvergenceError at the cap', () => {
      const run = (): TruncatedSvd =>
        truncatedSvd(decaying, rank, { method: 'randomized', tolerance: 1e-14, maxIterations: 1 });
      expect(run).toThrow(ConvergenceError);
      expect(run).toThrow(/after 1 iterations, tolerance 1e-14/);
    });

    it('repeats results for one seed', () => {
      const first = truncatedSvd(decaying, rank, { method: 'randomized', powerIterations: 0, seed: 42 });
      const second = truncatedSvd(decaying, rank, { method: 'randomized', powerIterations: 0, seed: 42 });
      expect(second.leftSingularVectors.data).toEqual(first.leftSingularVectors.data);
      expect(second.singularValues).toEqual(first.singularValues);
    });

    it('depends on the seed', () => {
      const first = truncatedSvd(decaying, rank, { method: 'randomized', powerIterations: 0, seed: 1 });
      const second = truncatedSvd(decaying, rank, { method: 'randomized', powerIterations: 0, seed: 2 });
      expect(second.singularValues[rank - 1]).not.toBe(first.singularValues[rank - 1]);
    });
  });

  describe('randomized methods on repeated values', () => {
    // 24 equal top singular values exceed the Krylov block of 16 vectors, which in exact
    // arithmetic spans at most 16 dimensions of that eigenspace per starting block.
    const spectrum = [...Array<number>(24).fill(5), ...Array<number>(126).fill(1)];
    const matrix = matrixWithSpectrum(200, 150, spectrum, new SeededRandom(15));
    const optimum = tailNorm(Float64Array.from(spectrum), 24);

    it('block Krylov finds the whole eigenspace', () => {
      // With two distinct singular values the Krylov space of degree 1 already contains the
      // top eigenspace's part of every start vector, so only rounding remains.
      const error = frobeniusNorm(subtract(matrix, reconstruct(truncatedSvd(matrix, 24, { method: 'block-krylov' }))));
      expect(Math.abs(error - optimum)).toBeLessThanOrEqual(RESIDUAL_CONSTANT * 200 * EPSILON * frobeniusNorm(matrix));
    });

    it('randomized finds the whole eigenspace', () => {
      // Four power iterations shrink the angle θ to the top eigenspace to about C·(1/5)^9 ≈
      // C·2e-7, with C set by the random start. The squared error then exceeds τ² = 126 by
      // 24·5²·sin²θ, a relative error excess of about 24·25·(C·2e-7)²/(2·126) ≈ 1e-13·C²
      // (8e-12 measured, so C ≈ 9). The bound 1e-8 allows C up to 300.
      const error = frobeniusNorm(subtract(matrix, reconstruct(truncatedSvd(matrix, 24, { method: 'randomized' }))));
      expect(error).toBeLessThanOrEqual((1 + 1e-8) * optimum);
    });
  });

  describe('auto method', () => {
    it('picks exact for small matrices', () => {
      expect(truncatedSvd(gaussianMatrix(30, 20, new SeededRandom(8)), 5).method).toBe('exact');
    });

    it('picks block Krylov for large ones', () => {
      expect(truncatedSvd(gaussianMatrix(300, 260, new SeededRandom(9)), 5).method).toBe('block-krylov');
    });

    it('picks exact for a large rank', () => {
      expect(truncatedSvd(gaussianMatrix(300, 260, new SeededRandom(9)), 60).method).toBe('exact');
    });
  });

  describe('invalid input', () => {
    const matrix = gaussianMatrix(5, 4, new SeededRandom(10));

    it.each([0, 2.5, Number.NaN, -1, 5, Number.POSITIVE_INFINITY])('rejects rank %p', (rank) => {
      expect(() => truncatedSvd(matrix, rank)).toThrow(InvalidArgumentError);
      expect(() => truncatedSvd(matrix, rank)).toThrow(/rank: expected an integer in \[1, 4\] for a 5×4 matrix/);
    });

    it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('rejects entry %p', (value) => {
      const bad = matrix.clone();
      bad.set(2, 3, value);
      expect(() => truncatedSvd(bad, 2)).toThrow(NonFiniteValueError);
      expect(() => truncatedSvd(bad, 2)).toThrow(/row 2, column 3/);
    });

    it('rejects an empty matrix', () => {
      expect(() => truncatedSvd(Matrix.zeros(0, 3), 1)).toThrow(InvalidArgumentError);
      expect(() => fullSvd(Matrix.zeros(3, 0))).toThrow(/non-empty matrix/);
    });

    it('rejects a non-matrix', () => {
      expect(() => truncatedSvd([[1, 2]] as unknown as Matrix, 1)).toThrow(/matrix: expected a Matrix/);
    });

    it.each<[string, TruncatedSvdOptions]>([
      ['options.method', { method: 'fast' as 'exact' }],
      ['options.oversampling', { oversampling: -1 }],
      ['options.oversampling', { oversampling: 1.5 }],
      ['options.powerIterations', { powerIterations: -1 }],
      ['options.powerIterations', { powerIterations: 0.5 }],
      ['options.blockSize', { method: 'block-krylov', blockSize: 0 }],
      ['options.blockSize', { method: 'randomized', blockSize: 4 }],
      ['options.seed', { seed: 1.5 }],
      ['options.tolerance', { tolerance: 0 }],
      ['options.tolerance', { tolerance: Number.NaN }],
      ['options.maxIterations', { tolerance: 1e-3, maxIterations: 0 }],
      ['options.maxIterations', { maxIterations: 5 }],
      ['options.powerIterations', { tolerance: 1e-3, powerIterations: 2 }],
      ['options.powerIterations', { method: 'exact', powerIterations: 2 }],
      ['options.powerIterations', { method: 'block-krylov', blockSize: 1, powerIterations: 1 }],
    ])('rejects invalid %s', (argument, options) => {
      const run = (): TruncatedSvd => truncatedSvd(matrix, 3, options);
      expect(run).toThrow(InvalidArgumentError);
      expect(run).toThrow(`Invalid ${argument}:`);
    });

    it('rejects an unknown option name', () => {
      const run = (): TruncatedSvd => truncatedSvd(matrix, 3, { iterations: 3 } as TruncatedSvdOptions);
      expect(run).toThrow(InvalidArgumentError);
      expect(run).toThrow(/truncatedSvd.*"iterations"/);
    });

    it('rejects options that are not an object', () => {
      expect(() => truncatedSvd(matrix, 2, null as unknown as TruncatedSvdOptions)).toThrow(/Invalid options/);
    });
  });
});

describe('householderQr', () => {
  it('reproduces dependent vectors', () => {
    const random = new SeededRandom(16);
    const vectors = gaussianMatrix(4, 9, random);
    vectors.data.set(vectors.data.subarray(0, 9).map((value) => 2 * value), 18);
    const { basis, triangular } = householderQr(vectors.data, 4, 9);
    const rebuilt = matMul(new Matrix(4, 4, triangular), new Matrix(4, 9, basis), { transposeA: true });
    expect(frobeniusNorm(subtract(rebuilt, vectors))).toBeLessThanOrEqual(RESIDUAL_CONSTANT * 9 * EPSILON * frobeniusNorm(vectors));
    expect(orthogonalityError(new Matrix(4, 9, basis).transpose())).toBeLessThanOrEqual(ORTHOGONALITY_CONSTANT * 9 * EPSILON);
  });
});

describe('topSymmetricEigenpairs', () => {
  it.each([
    ['distinct', [9, 7, 5, 3, 2, 1, 0.5, 0]],
    ['repeated', [4, 4, 4, 1, 1, 0, 0, 0]],
    ['zeros', [0, 0, 0, 0, 0, 0, 0, 0]],
  ])('solves %s eigenvalues', (_name, eigenvalues) => {
    const basis = randomOrthonormalColumns(8, 8, new SeededRandom(17));
    const symmetric = matMul(matrixWithSpectrumOf(basis, eigenvalues), basis, { transposeB: true });
    const { values, vectors } = topSymmetricEigenpairs(symmetric.data, 8, 5);
    const scale = Math.max(eigenvalues[0], 1);

    values.forEach((value, i) => {
      expect(Math.abs(value - eigenvalues[i])).toBeLessThanOrEqual(RESIDUAL_CONSTANT * 8 * EPSILON * scale);
    });
    const rows = new Matrix(5, 8, vectors);
    expect(orthogonalityError(rows.transpose())).toBeLessThanOrEqual(ORTHOGONALITY_CONSTANT * 8 * EPSILON);
    const residual = subtract(matMul(rows, symmetric), matMul(Matrix.fromRows(Array.from(values, (value, i) => Array.from({ length: 5 }, (_v, j) => (i === j ? value : 0)))), rows));
    expect(frobeniusNorm(residual)).toBeLessThanOrEqual(RESIDUAL_CONSTANT * 8 * EPSILON * scale);
  });
});

/** basis·diag(values), the left factor of basis·diag(values)·basisᵀ. */
function matrixWithSpectrumOf(basis: Matrix, values: readonly number[]): Matrix {
  const result = basis.clone();
  for (let i = 0; i < result.rows; i++) {
    for (let k = 0; k < result.columns; k++) {
      result.data[i * result.columns + k] *= values[k];
    }
  }
  return result;
}
