/** Runs `task` once and returns its result with the elapsed wall-clock time in milliseconds. */
export function timeOnce<T>(task: () => T): { result: T; milliseconds: number } {
  const start = performance.now();
  const result = task();
  return { result, milliseconds: performance.now() - start };
}

/**
 * Runs `task` once to warm up the JIT, then `runs` more times, and returns the median time in
 * milliseconds with the result of the last run.
 */
export function medianTime<T>(task: () => T, runs: number): { result: T; milliseconds: number } {
  let last = timeOnce(task);
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    last = timeOnce(task);
    times.push(last.milliseconds);
  }
  times.sort((a, b) => a - b);
  return { result: last.result, milliseconds: times[Math.floor(times.length / 2)] };
}
