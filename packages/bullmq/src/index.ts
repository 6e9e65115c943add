export { DEFAULT_QUEUE } from './_protocol.ts';
export { BullMQExecutor, type BullMQExecutorOptions } from './executor.ts';
export { type MemoflowWorker, startWorker, type WorkerEvent, type WorkerOptions } from './worker.ts';
