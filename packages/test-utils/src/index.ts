/**
 * What memoflow's own tests share and users never need: the test Redis (skipped outside CI when
 * none answers, failing in CI), private `redis-server` processes, and node names that are also
 * Object.prototype properties. Private: never published.
 */
export {
  expectNodeCounts,
  expectPrototypeUntouched,
  fillNodes,
  PROTOTYPE_NAMES,
  restorePrototypeAfterEach,
} from './node-names.ts';
export {
  describeWithRedis,
  freePort,
  type PrivateRedis,
  type PrivateRedisOptions,
  redisAnswers,
  startRedisServer,
  TEST_REDIS_URL,
  testPrefix,
} from './redis.ts';
