/** Formats rows as a Markdown table, right-aligning the columns that `numeric` marks. */
export function markdownTable(headers: string[], rows: string[][], numeric: boolean[]): string {
  const separator = numeric.map((right) => (right ? '---:' : '---'));
  return [headers, separator, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** Formats milliseconds with 3 significant digits, or none after the point from 100 up. */
export function formatMilliseconds(milliseconds: number): string {
  return milliseconds >= 100 ? milliseconds.toFixed(0) : milliseconds.toFixed(milliseconds >= 10 ? 1 : 2);
}

/** Formats a ratio with 2 decimals, or with 2 significant digits below 0.1. */
export function formatRatio(ratio: number): string {
  return ratio >= 0.1 ? ratio.toFixed(2) : ratio.toPrecision(2);
}

/** Computes GFLOP/s from a FLOP count and a time in milliseconds. */
export function gigaflopsPerSecond(flops: number, milliseconds: number): number {
  return flops / milliseconds / 1e6;
}
