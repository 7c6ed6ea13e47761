import fc from 'fast-check';
import { z } from 'zod';

/**
 * fast-check arbitraries driven by the zod models: the model is turned into JSON Schema (`z.toJSONSchema`), and
 * values are generated from that, then some are broken on purpose (a field replaced by any JSON value, a
 * required field dropped, an unknown field added) so both the happy and the error paths get exercised.
 */

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema is walked generically.
type JsonSchema = Record<string, any>;

/** Values that matter to confinement and lookups get picked often, so the fuzz reaches past validation. */
export type Hints = Record<string, fc.Arbitrary<unknown>>;

const anyJson = fc.jsonValue({ maxDepth: 3 });

function stringArb(s: JsonSchema): fc.Arbitrary<string> {
  const minLength = s.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(s.maxLength ?? 40, 40));
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ minLength, maxLength }) },
    { weight: 1, arbitrary: fc.string({ minLength, maxLength, unit: 'binary' }) },
    { weight: 1, arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()) },
  );
}

function build(s: JsonSchema, root: JsonSchema, hints: Hints, depth: number, key?: string): fc.Arbitrary<unknown> {
  const base = buildPlain(s, root, hints, depth);
  const hint = key === undefined ? undefined : hints[key];
  return hint ? fc.oneof(hint, base) : base;
}

function buildPlain(s: JsonSchema, root: JsonSchema, hints: Hints, depth: number): fc.Arbitrary<unknown> {
  if (s.$ref) {
    const name = String(s.$ref).replace(/^#\/\$defs\//, '');
    return build(root.$defs?.[name] ?? {}, root, hints, depth);
  }
  if (s.anyOf || s.oneOf) return fc.oneof(...(s.anyOf ?? s.oneOf).map((x: JsonSchema) => build(x, root, hints, depth)));
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const types: string[] | undefined = Array.isArray(s.type) ? s.type : s.type ? [s.type] : undefined;
  if (!types) return anyJson;
  if (types.length > 1) return fc.oneof(...types.map((t) => build({ ...s, type: t }, root, hints, depth)));
  switch (types[0]) {
    case 'string':
      return stringArb(s);
    case 'integer':
      return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 100_000 });
    case 'number':
      return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e12, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const minLength = s.minItems ?? 0;
      const maxLength = Math.max(minLength, Math.min(s.maxItems ?? 3, depth > 2 ? minLength : 3));
      return fc.array(build(s.items ?? {}, root, hints, depth + 1), { minLength, maxLength });
    }
    case 'object': {
      const props: Record<string, JsonSchema> = s.properties ?? {};
      if (Object.keys(props).length === 0) return fc.dictionary(fc.string({ maxLength: 10 }), anyJson, { maxKeys: 3 });
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(props)) model[k] = build(v, root, hints, depth + 1, k);
      return fc.record(model, { requiredKeys: (s.required ?? []).filter((k: string) => k in model) });
    }
    default:
      return anyJson;
  }
}

/** Breaks a valid value: replace or drop one field, or add an unknown one. */
function mutate(value: unknown, replacement: unknown, pick: number, mode: number): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return replacement;
  const obj = { ...(value as Record<string, unknown>) };
  const keys = Object.keys(obj);
  if (mode === 0 || keys.length === 0) obj[`unexpected_${pick % 7}`] = replacement;
  else if (mode === 1) delete obj[keys[pick % keys.length]!];
  else obj[keys[pick % keys.length]!] = replacement;
  return obj;
}

/** Mostly schema-shaped values, some broken ones, and now and then any JSON at all. */
export function arbitraryFor(schema: z.ZodType, hints: Hints = {}): fc.Arbitrary<unknown> {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const valid = build(json, json, hints, 0);
  return fc.oneof(
    { weight: 5, arbitrary: valid },
    {
      weight: 3,
      arbitrary: fc.tuple(valid, anyJson, fc.nat(), fc.nat({ max: 2 })).map(([v, r, p, m]) => mutate(v, r, p, m)),
    },
    { weight: 1, arbitrary: anyJson },
  );
}
