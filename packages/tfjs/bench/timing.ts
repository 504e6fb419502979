/** Options of the timing functions. */
export interface TimingOptions {
  /** Untimed runs of each task before the timed rounds, for JIT, kernel setup and caches. */
  warmups: number;
  /** Timed rounds, each of which runs every task once. */
  rounds: number;
}

/** Median times of one task, in milliseconds. */
export interface TaskTime {
  /** Median CPU time (user + system) of this process while the task ran. */
  cpu: number;
  /** Median wall-clock time. */
  wall: number;
}

/**
 * Runs the tasks in interleaved rounds (each round runs every task once, in order) after
 * `warmups` untimed runs of each, and returns each task's median CPU and wall-clock time in
 * milliseconds, keyed like `tasks`.
 *
 * Both choices are for a shared machine. CPU time leaves out the time the process waits while
 * other processes run, which wall-clock time of a single-threaded backend includes, and
 * interleaving makes a burst of load from another process slow all the tasks of a round alike.
 * The tasks must finish their work before they return (the wasm and cpu backends compute
 * synchronously).
 */
export function medianTimes(tasks: Record<string, () => void>, options: TimingOptions): Record<string, TaskTime> {
  const names = Object.keys(tasks);
  for (const name of names) {
    for (let run = 0; run < options.warmups; run++) {
      tasks[name]();
    }
  }

  const cpuTimes: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  const wallTimes: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < options.rounds; round++) {
    for (const name of names) {
      const startCpu = process.cpuUsage();
      const startWall = performance.now();
      tasks[name]();
      wallTimes[name].push(performance.now() - startWall);
      const cpu = process.cpuUsage(startCpu);
      cpuTimes[name].push((cpu.user + cpu.system) / 1000);
    }
  }

  return Object.fromEntries(names.map((name) => [name, { cpu: median(cpuTimes[name]), wall: median(wallTimes[name]) }]));
}

/** Runs one async task like `medianTimes` runs a synchronous one. */
export async function medianTimeAsync(task: () => Promise<void>, options: TimingOptions): Promise<TaskTime> {
  for (let run = 0; run < options.warmups; run++) {
    await task();
  }

  const cpuTimes: number[] = [];
  const wallTimes: number[] = [];
  for (let run = 0; run < options.rounds; run++) {
    const startCpu = process.cpuUsage();
    const startWall = performance.now();
    await task();
    wallTimes.push(performance.now() - startWall);
    const cpu = process.cpuUsage(startCpu);
    cpuTimes.push((cpu.user + cpu.system) / 1000);
  }
  return { cpu: median(cpuTimes), wall: median(wallTimes) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
