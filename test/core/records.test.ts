import { describe, expect, it } from 'vitest';
import { buildRecord, checkTextSize } from '../../src/core/records.js';
import type { MemoryError } from '../../src/errors.js';
import { MemoryRecord, MemoryRecordInput } from '../../src/models/memory-record.js';

describe('records', () => {
  it('builds a complete record with defaults and a content hash scoped by namespace and user', () => {
    const now = Date.UTC(2026, 4, 1);
    const a = buildRecord(MemoryRecordInput.parse({ text: ' Alice likes tea ' }), now, { namespace: 'n1' });
    expect(MemoryRecord.parse(a)).toEqual(a);
    expect(a.text).toBe('Alice likes tea');
    expect(a.namespace).toBe('n1');
    expect(a.created_at).toBe(new Date(now).toISOString());
    const b = buildRecord(MemoryRecordInput.parse({ text: 'Alice likes tea' }), now, { namespace: 'n2' });
    expect(b.memory_hash).not.toBe(a.memory_hash);
    const c = buildRecord(MemoryRecordInput.parse({ text: 'Alice likes tea', namespace: 'n1' }), now + 5);
    expect(c.memory_hash).toBe(a.memory_hash);
  });

  it('keeps the history of an overwritten record', () => {
    const first = buildRecord(MemoryRecordInput.parse({ id: 'x', text: 'one' }), 1000);
    const again = buildRecord(
      MemoryRecordInput.parse({ id: 'x', text: 'two' }),
      5000,
      {},
      { ...first, access_count: 3 },
    );
    expect(again.created_at).toBe(first.created_at);
    expect(again.access_count).toBe(3);
    expect(again.updated_at).toBe(new Date(5000).toISOString());
  });

  it('measures the limit in UTF-8 bytes and names MAX_TEXT_BYTES', () => {
    expect(() => checkTextSize('é'.repeat(6), 11, 'x')).toThrow(/MAX_TEXT_BYTES/);
    expect(() => checkTextSize('é'.repeat(5), 10, 'x')).not.toThrow();
    try {
      checkTextSize('abc', 2, 'memories[1]');
    } catch (e) {
      expect((e as MemoryError).status).toBe(400);
      expect((e as Error).message).toContain('memories[1]');
    }
  });

  it('rejects empty text and commas in topics', () => {
    expect(MemoryRecordInput.safeParse({ text: '   ' }).success).toBe(false);
    expect(MemoryRecordInput.safeParse({ text: 'a', topics: ['x,y'] }).success).toBe(false);
  });
});
