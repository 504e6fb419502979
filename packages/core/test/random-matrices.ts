import type { Factors } from '../src/collapse.js';
import { Matrix } from '../src/matrix.js';
import type { SeededRandom } from '../src/random.js';

/** Creates a rows × columns matrix of independent standard normal entries from `random`. */
export function randomMatrix(random: SeededRandom, rows: number, columns: number): Matrix {
  const result = new Matrix(rows, columns);
  for (let index = 0; index < result.data.length; index++) {
    result.data[index] = random.nextNormal();
  }
  return result;
}

/** Creates Gaussian factors U (rows × rank) and V (rank × columns). */
export function randomPair(random: SeededRandom, rows: number, rank: number, columns: number): Factors {
  return { left: randomMatrix(random, rows, rank), right: randomMatrix(random, rank, columns) };
}

/** Creates Gaussian factors U (rows × rank), M (rank × rank) and V (rank × columns). */
export function randomTriple(random: SeededRandom, rows: number, rank: number, columns: number): Factors {
  return {
    left: randomMatrix(random, rows, rank),
    middle: randomMatrix(random, rank, rank),
    right: randomMatrix(random, rank, columns),
  };
}
