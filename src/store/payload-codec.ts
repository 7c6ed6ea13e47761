import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * Stored JSON payloads (activity bodies: a memory's record before and after a change) compressed with DEFLATE and a
 * preset dictionary of the text every such payload repeats, the record's keys and usual values. Alone DEFLATE
 * halves a 660-byte create event; with the dictionary it takes 120 bytes. The dictionary is part of the format:
 * never edit it, add another under a new tag.
 */
export const DICTIONARY_V1 = Buffer.from(
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
/**
 * The same two forms with a window sized to the input: zlib sets up its whole window on every call, so the default
 * 32 KB one costs a 2 KB activity row 250 µs to deflate and 50 µs to inflate where a 2 KB window costs about 40 and
 * 15, for the same bytes out. The tag's low nibble is the window's bits, which inflate must match.
 */
const DICTIONARY_SIZED = 0x10;
const PLAIN_SIZED = 0x20;
const MIN_WINDOW_BITS = 9;
const MAX_WINDOW_BITS = 15;
/** Below this many bytes a text is stored as it is: DEFLATE's block overhead eats what it could save. */
const TEXT_MIN_BYTES = 256;

/** The smallest window that holds `bytes` (history beyond the input itself is never referenced). */
function windowBits(bytes: number): number {
  return Math.min(MAX_WINDOW_BITS, Math.max(MIN_WINDOW_BITS, Math.ceil(Math.log2(bytes + 1))));
}

/**
 * The match-finder's hash table (2^(memLevel+7) slots) sized to the window as well: zlib clears it on every call,
 * and for a 2 KB row memLevel 2 writes the same bytes as 8 in a sixth of the time. Inflate never needs it.
 */
function deflateOptions(bits: number) {
  return { level: 6, windowBits: bits, memLevel: Math.min(8, Math.max(1, bits - 9)) };
}

function tagged(tag: number, packed: Buffer): Buffer {
  const out = Buffer.allocUnsafe(1 + packed.length);
  out[0] = tag;
  packed.copy(out, 1);
  return out;
}

/** The stored form: a tag byte, then the compressed bytes. */
export function packPayload(json: string): Buffer {
  // The dictionary precedes the input in the window, so the window holds both.
  const bits = windowBits(DICTIONARY_V1.length + Buffer.byteLength(json));
  const packed = deflateRawSync(json, { dictionary: DICTIONARY_V1, ...deflateOptions(bits) });
  return tagged(DICTIONARY_SIZED | bits, packed);
}

/**
 * A text as stored: as it is when short or when DEFLATE saves under a tenth of it (text that does not repeat
 * itself: keys, base64), else packed. Either form reads back through `unpackPayload`.
 */
export function packText(text: string): string | Buffer {
  const bytes = Buffer.byteLength(text);
  if (bytes < TEXT_MIN_BYTES) return text;
  const bits = windowBits(bytes);
  const packed = deflateRawSync(text, deflateOptions(bits));
  if (packed.length + 1 > bytes * 0.9) return text;
  return tagged(PLAIN_SIZED | bits, packed);
}

/** A stored payload or text as text: as it was stored (uncompressed, or written before compression), or unpacked. */
export function unpackPayload(stored: string | Uint8Array): string {
  if (typeof stored === 'string') return stored;
  const tag = stored[0]!;
  const body = stored.subarray(1);
  if (tag === V1) return inflateRawSync(body, { dictionary: DICTIONARY_V1 }).toString('utf8');
  if (tag === V2) return inflateRawSync(body).toString('utf8');
  const bits = tag & 0x0f;
  if (bits >= MIN_WINDOW_BITS && bits <= MAX_WINDOW_BITS) {
    if ((tag & 0xf0) === DICTIONARY_SIZED) {
      return inflateRawSync(body, { dictionary: DICTIONARY_V1, windowBits: bits }).toString('utf8');
    }
    if ((tag & 0xf0) === PLAIN_SIZED) return inflateRawSync(body, { windowBits: bits }).toString('utf8');
  }
  throw new Error(`stored payload: unknown format ${tag}`);
}
