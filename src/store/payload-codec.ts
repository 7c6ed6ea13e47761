import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * Stored JSON payloads (activity bodies: a memory's record before and after a change) compressed with DEFLATE and a
 * preset dictionary of the text every such payload repeats, the record's keys and usual values. Alone DEFLATE
 * halves a 660-byte create event; with the dictionary it takes 120 bytes. The dictionary is part of the format:
 * never edit it, add another under a new tag.
 */
const DICTIONARY_V1 = Buffer.from(
  '{"before":null,"after":null,"details":{"imported":true,"equal_text":true,"into":"","tier":"stm","from":"im"}}' +
    '"discrete_memory_extracted":"t","extraction_strategy":"summary","extraction_strategy_config":{},"content":{' +
    '"agent_id":null,"step_number":null,"memory_tier":"stm","location":null,"attributes":{}' +
    '{"before":{"id":"","text":"","session_id":null,"user_id":null,"namespace":null,"memory_type":"episodic",' +
    '"topics":[],"entities":[],"event_date":null,"created_at":"2026-01-01T00:00:00.000Z","updated_at":"2026-' +
    '{"before":null,"after":{"id":"01","text":"","session_id":null,"user_id":null,"namespace":null,' +
    '"memory_type":"semantic","topics":[],"entities":[],"event_date":null,"created_at":"2026-12-01T00:00:00.000Z",' +
    '"updated_at":"2026-12-01T00:00:00.000Z","last_accessed":"2026-12-01T00:00:00.000Z","access_count":0,' +
    '"pinned":false,"importance":0.5,"memory_hash":"","discrete_memory_extracted":"f","extraction_strategy":' +
    '"discrete","extraction_strategy_config":{},"extracted_from":[],"persisted_at":"2026-12-01T00:00:00.000Z",' +
    '"metadata":{}},"details":{}}',
);
const V1 = 1;
/** Plain DEFLATE, no dictionary: long texts (session messages). */
const V2 = 2;
/** Below this many bytes a text is stored as it is: DEFLATE's block overhead eats what it could save. */
const TEXT_MIN_BYTES = 256;

/** The stored form: a tag byte, then the compressed bytes. */
export function packPayload(json: string): Buffer {
  const packed = deflateRawSync(json, { dictionary: DICTIONARY_V1, level: 6 });
  const out = Buffer.allocUnsafe(1 + packed.length);
  out[0] = V1;
  packed.copy(out, 1);
  return out;
}

/**
 * A text as stored: as it is when short or when DEFLATE saves under a tenth of it (text that does not repeat
 * itself: keys, base64), else packed. Either form reads back through `unpackPayload`.
 */
export function packText(text: string): string | Buffer {
  const bytes = Buffer.byteLength(text);
  if (bytes < TEXT_MIN_BYTES) return text;
  const packed = deflateRawSync(text, { level: 6 });
  if (packed.length + 1 > bytes * 0.9) return text;
  const out = Buffer.allocUnsafe(1 + packed.length);
  out[0] = V2;
  packed.copy(out, 1);
  return out;
}

/** A stored payload or text as text: as it was stored (uncompressed, or written before compression), or unpacked. */
export function unpackPayload(stored: string | Uint8Array): string {
  if (typeof stored === 'string') return stored;
  if (stored[0] === V1) return inflateRawSync(stored.subarray(1), { dictionary: DICTIONARY_V1 }).toString('utf8');
  if (stored[0] === V2) return inflateRawSync(stored.subarray(1)).toString('utf8');
  throw new Error(`stored payload: unknown format ${stored[0]}`);
}
