export { RedisCache, type RedisCacheInfo, type RedisCacheOptions } from './redis-cache.ts';
