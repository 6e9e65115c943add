/**
 * memoflow CI reuse example: fit and score a model, the kind of job a CI run repeats on every
 * commit although most commits change none of it.
 *
 *     seed, samples ─▶ dataset ─▶ split ─▶ model ◀─ degree
 *                                   │        │
 *                                   └──────▶ evaluation
 *
 * Run it with the CLI, which caches in `.memoflow/` (or a Redis server with `--redis`):
 *
 *     npx memoflow run pipeline.ts --input seed=7 --input samples=2000 --input degree=2
 *
 * Edit `evaluation` and run again: `dataset`, `split` and `model` are hits, and only
 * `evaluation` recomputes. The workflows in `workflows/` carry the cache from one CI job to the next.
 */
import { func, Pipeline } from '@memoflow/core';

interface Point {
  x: number;
  y: number;
}

interface Split {
  train: Point[];
  test: Point[];
}

/** Polynomial coefficients, constant term first. */
interface Model {
  degree: number;
  coefficients: number[];
}

/** One sample in this many goes to the test set. */
const TEST_EVERY = 5;

/** A seeded PRNG (mulberry32): the same seed gives the same dataset on every machine. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Noisy samples of y = 0.5x³ − 2x + 1 on [−3, 3]. Pretend it is a download. */
const dataset = func({ output: 'dataset' }, async (seed: number, samples: number): Promise<Point[]> => {
  await sleep(200);
  const next = random(seed);
  return Array.from({ length: samples }, () => {
    const x = next() * 6 - 3;
    const noise = (next() + next() + next() - 1.5) * 2;
    return { x, y: 0.5 * x ** 3 - 2 * x + 1 + noise };
  });
});

/** Every fifth sample is held out, so the split depends on the data alone. */
const split = func(
  { output: 'split' },
  (dataset: Point[]): Split => ({
    train: dataset.filter((_, i) => i % TEST_EVERY !== 0),
    test: dataset.filter((_, i) => i % TEST_EVERY === 0),
  }),
);

function predict(model: Model, x: number): number {
  return model.coefficients.reduceRight((sum, coefficient) => sum * x + coefficient, 0);
}

/** Solves `a · x = b` by Gaussian elimination with partial pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const rows = a.map((row, i) => [...row, b[i]!]);
  for (let column = 0; column < n; column++) {
    let pivot = column;
    for (let row = column + 1; row < n; row++) {
      if (Math.abs(rows[row]![column]!) > Math.abs(rows[pivot]![column]!)) pivot = row;
    }
    [rows[column], rows[pivot]] = [rows[pivot]!, rows[column]!];
    for (let row = column + 1; row < n; row++) {
      const factor = rows[row]![column]! / rows[column]![column]!;
      for (let k = column; k <= n; k++) rows[row]![k]! -= factor * rows[column]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let row = n - 1; row >= 0; row--) {
    let sum = rows[row]![n]!;
    for (let k = row + 1; k < n; k++) sum -= rows[row]![k]! * x[k]!;
    x[row] = sum / rows[row]![row]!;
  }
  return x;
}

/** A least-squares polynomial fit. The sleep stands in for the minutes a real training run takes. */
const model = func({ output: 'model' }, async (split: Split, degree: number): Promise<Model> => {
  if (!(Number.isInteger(degree) && degree >= 0 && degree <= 8)) {
    throw new RangeError(`degree ${JSON.stringify(degree)} is not a whole number from 0 to 8`);
  }
  await sleep(800);
  const size = degree + 1;
  const normal = Array.from({ length: size }, () => new Array<number>(size).fill(0));
  const moments = new Array<number>(size).fill(0);
  for (const { x, y } of split.train) {
    const powers = Array.from({ length: size }, (_, k) => x ** k);
    for (let i = 0; i < size; i++) {
      moments[i]! += powers[i]! * y;
      for (let j = 0; j < size; j++) normal[i]![j]! += powers[i]! * powers[j]!;
    }
  }
  return { degree, coefficients: solve(normal, moments) };
});

/** Scores the model on the held-out samples. */
const evaluation = func({ output: 'evaluation' }, (model: Model, split: Split) => {
  const mean = split.test.reduce((sum, point) => sum + point.y, 0) / split.test.length;
  let squaredError = 0;
  let variance = 0;
  for (const point of split.test) {
    squaredError += (predict(model, point.x) - point.y) ** 2;
    variance += (point.y - mean) ** 2;
  }
  return {
    degree: model.degree,
    testSamples: split.test.length,
    rmse: Math.sqrt(squaredError / split.test.length),
    r2: 1 - squaredError / variance,
  };
});

export default new Pipeline([dataset, split, model, evaluation]);
