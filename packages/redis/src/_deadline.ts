/**
 * How long RedisCache waits for the server. Every command gets the `timeout`; a command still
 * unanswered then may be slow rather than lost (a value of hundreds of megabytes takes seconds
 * on a healthy server), so the server is asked, on a second connection, whether it answers and
 * how many bytes the command moves. A server that answers gets the `timeout` again plus time for
 * those bytes at a floor rate; one that does not is unreachable. A hung server is found in at
 * most two timeouts, whatever the size of what was asked.
 */

import type { EventLoopUtilization } from 'node:perf_hooks';
import { reasonOf } from '@memoflow/core/backend-kit';

/**
 * The slowest transfer a server that answers is granted: 4,000 bytes a millisecond (4 MB/s, a
 * slow link). Generous on purpose: a server that stops mid-transfer is rare, and waiting longer
 * on it costs a run one command, where declaring a slow one dead costs every lookup.
 */
export const BYTES_PER_MS = 4_000;

/** The milliseconds granted to a command that moves `bytes`, once its server is known to answer. */
export function deadlineFor(timeoutMs: number, bytes: number): number {
  return timeoutMs + Math.ceil(Math.max(0, bytes) / BYTES_PER_MS);
}

/**
 * `answer`, or a rejection once it is late. With `probe` (which resolves with the bytes the
 * command moves, asked of the server on another connection, and rejects when the server does
 * not answer it), a command late after `timeoutMs` gets `deadlineFor(timeoutMs, bytes)` more.
 *
 * Only time this process could listen counts: when its event loop was busy for most of a wait
 * (a node computing synchronously), a reply could not have been read, nor a command even sent,
 * so the wait starts again.
 */
export function answerInTime<T>(
  answer: Promise<T>,
  timeoutMs: number,
  probe?: () => Promise<number>,
): Promise<T> {
  // On every hit's path: one state object and module-level functions, no closures of its own
  // besides the two callbacks.
  return new Promise<T>((resolve, reject) => {
    const command: Waiting = { settled: false, timer: undefined, reject, timeoutMs, probe, bytes: -1 };
    wait(command, timeoutMs);
    answer.then(
      (value) => {
        if (settle(command)) resolve(value);
      },
      (error: unknown) => {
        if (settle(command)) reject(error);
      },
    );
  });
}

/** A command waited on. `bytes`: what the probe said it moves; -1 before the probe answered. */
interface Waiting {
  settled: boolean;
  timer: NodeJS.Timeout | undefined;
  reject: (error: Error) => void;
  timeoutMs: number;
  probe: (() => Promise<number>) | undefined;
  bytes: number;
}

function wait(command: Waiting, ms: number): void {
  if (command.settled) return;
  command.timer = setTimeout(onTimer, ms, command, ms, performance.eventLoopUtilization());
}

function onTimer(command: Waiting, ms: number, since: EventLoopUtilization): void {
  if (command.settled) return;
  if (performance.eventLoopUtilization(since).utilization > 0.5) wait(command, ms);
  else if (command.bytes >= 0) {
    const waited = command.timeoutMs + ms;
    fail(
      command,
      `no answer within ${waited} ms for ${command.bytes} bytes, though the server answered another connection`,
    );
  } else if (!command.probe) fail(command, `no answer within ${command.timeoutMs} ms`);
  else {
    command.probe().then(
      (bytes) => {
        command.bytes = bytes;
        wait(command, deadlineFor(command.timeoutMs, bytes));
      },
      (error: unknown) => {
        const reason = reasonOf(error);
        fail(command, `no answer within ${command.timeoutMs} ms, nor on a second connection (${reason})`);
      },
    );
  }
}

/** Marks the command answered (or failed); false when it already was. */
function settle(command: Waiting): boolean {
  if (command.settled) return false;
  command.settled = true;
  clearTimeout(command.timer);
  return true;
}

function fail(command: Waiting, message: string): void {
  if (settle(command)) command.reject(new Error(message));
}
