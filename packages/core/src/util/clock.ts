let now = 0;
let fresh = false;

function expire(): void {
  fresh = false;
}

/**
 * `Date.now()`, read at most once per event-loop turn. Hit paths stamp access times with it:
 * a real `Date.now()` costs ≈30 ns, a tenth of an in-memory hit. Access times are then exact
 * to one turn, which is what LRU bookkeeping and `prune({ maxAge })` need; expiry checks use
 * the exact clock.
 */
export function turnNow(): number {
  if (!fresh) {
    now = Date.now();
    fresh = true;
    setImmediate(expire).unref();
  }
  return now;
}
