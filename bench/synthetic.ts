/** A deterministic synthetic corpus: varied sentences about people, places and things, so search has real work. */
const PEOPLE = ['Alice', 'Bob', 'Chen', 'Dana', 'Emeka', 'Farah', 'Goran', 'Hana', 'Ivan', 'Jules', 'Kofi', 'Lena'];
const VERBS = [
  'likes',
  'visited',
  'bought',
  'painted',
  'studied',
  'cooked',
  'repaired',
  'photographed',
  'read about',
  'sold',
];
const THINGS = [
  'a red bicycle',
  'sushi in Osaka',
  'the old lighthouse',
  'a vintage camera',
  'quantum computing',
  'sourdough bread',
  'the city marathon',
  'a jazz record',
  'mountain trails',
  'a chess set',
  'the quarterly report',
  'a garden shed',
  'Italian opera',
  'a sailing boat',
  'machine learning',
  'the art museum',
  'a wool sweater',
  'spicy ramen',
];
const WHEN = ['last week', 'in March 2024', 'on Sunday', 'yesterday', 'in the summer', 'after work', 'every morning'];

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: T[]) => xs[Math.floor(r() * xs.length)]!;

export function makeCorpus(n: number, seed = 1): { text: string; topics: string[] }[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const thing = pick(r, THINGS);
    return {
      text: `${pick(r, PEOPLE)} ${pick(r, VERBS)} ${thing} ${pick(r, WHEN)} (note ${seed}-${i}).`,
      topics: [thing.split(' ').pop()!],
    };
  });
}

export function makeQueries(n: number, seed = 7): string[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => `What did ${pick(r, PEOPLE)} do with ${pick(r, THINGS)}?`);
}
