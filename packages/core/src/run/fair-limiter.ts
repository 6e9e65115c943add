/**
 * The compute slots of one run, shared by whole nodes and the items of mapped nodes, handed out
 * fairly between nodes: work waits in a queue of its own node, and the free slots go round-robin
 * to the nodes with work waiting. A node that starts waiting while holding no slot goes first: it
 * takes the next free slot even while another node has hundreds of items queued (with one
 * first-in-first-out queue for everything, p-limit's, it waited behind all of them). Never two
 * newcomers in a row while others wait, though: a stream of ready nodes cannot starve a mapped
 * node's items.
 */

/** Work waiting in first-in-first-out order; taking from the front costs O(1), not `Array#shift`'s O(n). */
class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** The oldest item; the caller checks `size` first. */
  take(): T {
    const item = this.#items[this.#head] as T;
    this.#items[this.#head++] = undefined;
    // Reclaim the taken half of a long queue now and then: amortized O(1).
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}

/**
 * At most `concurrency` tasks at once, the free slots going round-robin over the owners (node
 * names) with tasks waiting, an owner that started waiting while holding no slot first; one
 * owner's tasks start in the order they were given.
 *
 * @example
 * const limiter = new FairLimiter(4);
 * await Promise.all(items.map((item) => limiter.run('features', () => features(item))));
 */
export class FairLimiter {
  /** How many tasks run at once. */
  readonly concurrency: number;
  #active = 0;
  /** The tasks waiting, by owner; an owner is here only while it has some. */
  readonly #waiting = new Map<string, Fifo<() => void>>();
  /** Slots held, by owner; an owner is here only while it holds some. */
  readonly #held = new Map<string, number>();
  /** Owners that started waiting while holding no slot: they go first. */
  readonly #newcomers = new Fifo<string>();
  /** The other owners with tasks waiting, in the order they take the next free slots. */
  readonly #turns = new Fifo<string>();
  #lastToNewcomer = false;

  constructor(concurrency: number) {
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
      throw new TypeError(`Expected \`concurrency\` to be a whole number ≥ 1, got ${concurrency}.`);
    }
    this.concurrency = concurrency;
  }

  /** Tasks running now. */
  get active(): number {
    return this.#active;
  }

  /** Tasks waiting for a slot, of every owner. */
  get pending(): number {
    let count = 0;
    for (const queue of this.#waiting.values()) count += queue.size;
    return count;
  }

  /** Runs `task` for `owner` when a slot is free and it is `owner`'s turn; settles as `task` does. */
  run<T>(owner: string, task: () => PromiseLike<T> | T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.#active++;
        this.#held.set(owner, (this.#held.get(owner) ?? 0) + 1);
        let running: PromiseLike<T> | T;
        try {
          running = task();
        } catch (error) {
          running = Promise.reject(error);
        }
        Promise.resolve(running)
          .then(resolve, reject)
          .finally(() => {
            this.#active--;
            const held = this.#held.get(owner)!;
            if (held > 1) this.#held.set(owner, held - 1);
            else this.#held.delete(owner);
            this.#startWaiting();
          });
      };
      // Slots are refilled as soon as they free, so a free slot means nothing is waiting.
      if (this.#active < this.concurrency) start();
      else this.#enqueue(owner, start);
    });
  }

  #enqueue(owner: string, start: () => void): void {
    let queue = this.#waiting.get(owner);
    if (queue === undefined) {
      queue = new Fifo();
      this.#waiting.set(owner, queue);
      (this.#held.has(owner) ? this.#turns : this.#newcomers).push(owner);
    }
    queue.push(start);
  }

  #startWaiting(): void {
    while (this.#active < this.concurrency && this.#newcomers.size + this.#turns.size > 0) {
      const toNewcomer = this.#newcomers.size > 0 && (!this.#lastToNewcomer || this.#turns.size === 0);
      this.#lastToNewcomer = toNewcomer;
      const owner = (toNewcomer ? this.#newcomers : this.#turns).take();
      const queue = this.#waiting.get(owner)!;
      const start = queue.take();
      // An owner with more waiting goes to the back of the turns: one slot each, in turn.
      if (queue.size > 0) this.#turns.push(owner);
      else this.#waiting.delete(owner);
      start();
    }
  }
}
