/**
 * The times DiskCache's index gives its records: later than the wall clock, than this process's
 * last record and than every record replayed (a Lamport clock). So a record written after
 * reading another's is later than it, even within the same millisecond: a clear() wins over the
 * write it saw, not a coin toss.
 */
export class RecordClock {
  #last = 0;

  /** The time of a new record; `latest`: the time of the latest record replayed. */
  next(latest: number): number {
    this.#last = Math.max(Date.now(), this.#last + 0.001, latest + 0.001);
    return this.#last;
  }
}
