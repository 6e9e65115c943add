/**
 * How memoflow's tasks travel on BullMQ: one job per task, its id the task's key (so a second
 * coordinator submitting the same miss joins the job already there), its name the node's, its
 * data the task. A job completes with the TaskResult (the output hash; the value is in the
 * cache), or fails with the error as ErrorJSON in `failedReason`.
 */
import { ConfigError } from '@memoflow/core';
import { type ErrorJSON, errorFromJSON, type TaskResult } from '@memoflow/core/executor';

/** The queue both sides use unless told otherwise. */
export const DEFAULT_QUEUE = 'memoflow';

/** Events kept in the queue's event stream: enough that a 10,000-item map's completions are not trimmed before the coordinator reads them. */
export const EVENTS_MAX_LEN = 200_000;

/** A job's `returnvalue` as BullMQ hands it over: parsed already, or the JSON text. */
export function resultOf(returnvalue: unknown): TaskResult {
  return (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as TaskResult;
}

/** The error a failed job carries: memoflow's ErrorJSON from a worker, or BullMQ's own reason (a job that stalled too often). */
export function failureOf(failedReason: string): Error {
  try {
    const json = JSON.parse(failedReason) as ErrorJSON;
    if (typeof json?.message === 'string' && typeof json.name === 'string') return errorFromJSON(json);
  } catch {
    // Not ours: BullMQ's reason as is.
  }
  return new Error(`BullMQ failed the job: ${failedReason}`);
}

/** An option that must be a whole number ≥ 1, or its default when not given. */
export function wholeNumber(owner: string, value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (Number.isInteger(value) && (value as number) >= 1) return value as number;
  throw new ConfigError(`${owner} option \`${name}\` is ${JSON.stringify(value)}: give a whole number ≥ 1.`);
}
