import { Worker } from 'node:worker_threads';
import type { JobContext, JobOutput, JobSpec } from './job.js';
import { runJob } from './job.js';
import type { BatchProgress, EpochRecord } from './train.js';

/** Progress of a running job, as a job executor reports it. */
export type JobEvent = { type: 'batch'; progress: BatchProgress } | { type: 'epoch'; record: EpochRecord };

/** Runs jobs, one at a time per slot, and stops them between batches once `stop` is called. */
export interface JobExecutor {
  /** Jobs that can run at once. */
  readonly slots: number;
  /** Runs a job; resolves to undefined when it was stopped. Rejects with the job's error. */
  run(spec: JobSpec, onEvent: (event: JobEvent) => void): Promise<JobOutput | undefined>;
  /** Asks every running and future job to stop at its next batch. */
  stop(): void;
  /** Releases threads; call once after the last job. */
  close(): Promise<void>;
}

/** Runs jobs one after another in this thread, on the backend already active here. */
export function createInProcessExecutor(context: JobContext): JobExecutor {
  let stopped = false;
  return {
    slots: 1,
    run: (spec, onEvent) =>
      runJob(spec, context, {
        onBatch: (progress) => onEvent({ type: 'batch', progress }),
        onEpoch: (record) => onEvent({ type: 'epoch', record }),
        shouldStop: () => stopped,
      }),
    stop: () => {
      stopped = true;
    },
    close: () => Promise.resolve(),
  };
}

/** workerData of a training worker thread. */
export interface WorkerSetup {
  kind: 'mnist-compression-training-worker';
  context: JobContext;
  /** Int32Array over a SharedArrayBuffer; index 0 becomes 1 when jobs must stop. */
  stopFlag: Int32Array;
}

/** Messages from a training worker to the main thread. */
export type WorkerMessage =
  | { type: 'event'; event: JobEvent }
  | { type: 'done'; output: JobOutput | undefined }
  | { type: 'failed'; message: string; stack?: string };

/**
 * Runs jobs in `workers` worker threads, each with its own TensorFlow.js backend, so training
 * uses several cores (the wasm and cpu backends use one core each). `script` is the module
 * that calls {@link serveTrainingWorker} when it starts in a worker thread; the context's data
 * should be in SharedArrayBuffers so it is shared, not copied.
 */
export function createWorkerExecutor(context: JobContext, workers: number, script: URL): JobExecutor {
  const stopFlag = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const setup: WorkerSetup = { kind: 'mnist-compression-training-worker', context, stopFlag };
  const idle: Worker[] = [];
  const waiting: ((worker: Worker) => void)[] = [];
  const all: Worker[] = [];

  const acquire = (): Promise<Worker> => {
    const worker = idle.pop();
    if (worker !== undefined) {
      return Promise.resolve(worker);
    }
    if (all.length < workers) {
      const created = new Worker(script, { workerData: setup });
      all.push(created);
      return Promise.resolve(created);
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  const release = (worker: Worker): void => {
    const next = waiting.shift();
    if (next !== undefined) {
      next(worker);
    } else {
      idle.push(worker);
    }
  };

  return {
    slots: workers,
    async run(spec, onEvent) {
      const worker = await acquire();
      try {
        return await new Promise<JobOutput | undefined>((resolve, reject) => {
          const onMessage = (message: WorkerMessage): void => {
            if (message.type === 'event') {
              onEvent(message.event);
              return;
            }
            cleanUp();
            if (message.type === 'done') {
              resolve(message.output);
            } else {
              const error = new Error(message.message);
              error.stack = message.stack ?? error.stack;
              reject(error);
            }
          };
          const onError = (error: Error): void => {
            cleanUp();
            reject(error);
          };
          const onExit = (code: number): void => {
            cleanUp();
            reject(new Error(`A training worker exited with code ${code} during ${spec.run}, seed ${spec.seed}.`));
          };
          const cleanUp = (): void => {
            worker.off('message', onMessage);
            worker.off('error', onError);
            worker.off('exit', onExit);
          };
          worker.on('message', onMessage);
          worker.on('error', onError);
          worker.on('exit', onExit);
          worker.postMessage(spec);
        });
      } finally {
        release(worker);
      }
    },
    stop() {
      Atomics.store(stopFlag, 0, 1);
    },
    async close() {
      await Promise.all(all.map((worker) => worker.terminate()));
    },
  };
}

/**
 * Serves as the body of a training worker thread: activates the backend with `activate`, then
 * runs every job spec it receives and posts its events and output. Never returns while the thread lives.
 */
export function serveTrainingWorker(
  setup: WorkerSetup,
  port: { postMessage(message: WorkerMessage): void; on(event: 'message', listener: (spec: JobSpec) => void): void },
  activate: () => Promise<void>,
): void {
  const ready = activate();
  let queue = Promise.resolve();
  let lastBatchEvent = 0;

  port.on('message', (spec) => {
    queue = queue.then(async () => {
      try {
        await ready;
        const output = await runJob(spec, setup.context, {
          onBatch: (progress) => {
            // NOTE: at most 10 batch events a second, so message passing stays cheap next to training.
            const now = performance.now();
            if (now - lastBatchEvent >= 100 || progress.batch === progress.batches) {
              lastBatchEvent = now;
              port.postMessage({ type: 'event', event: { type: 'batch', progress } });
            }
          },
          onEpoch: (record) => port.postMessage({ type: 'event', event: { type: 'epoch', record } }),
          shouldStop: () => Atomics.load(setup.stopFlag, 0) === 1,
        });
        port.postMessage({ type: 'done', output });
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        port.postMessage({ type: 'failed', message: failure.message, stack: failure.stack });
      }
    });
  });
}
