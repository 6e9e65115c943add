/** serializer/: values to bytes and back (v8), the entry envelope, and the round-trip check. */
export {
  assertRoundTrips,
  decodeEntry,
  encodeEntry,
  MISS,
  type Serializer,
  v8Serializer,
} from './serializer.ts';
