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

const FIRST = [
  'Alice',
  'Bob',
  'Chen',
  'Dana',
  'Emeka',
  'Farah',
  'Goran',
  'Hana',
  'Ivan',
  'Jules',
  'Kofi',
  'Lena',
  'Marco',
  'Nadia',
  'Oscar',
  'Priya',
  'Quentin',
  'Rosa',
  'Sami',
  'Tara',
  'Umar',
  'Vera',
  'Wendy',
  'Xavier',
  'Yusuf',
  'Zoe',
  'Anton',
  'Bianca',
  'Carlos',
  'Delia',
  'Elias',
  'Fiona',
  'Gustav',
  'Helga',
  'Igor',
  'Julia',
  'Karim',
  'Lucia',
  'Mateo',
  'Nina',
];
const ADJECTIVES = [
  'red',
  'blue',
  'green',
  'old',
  'new',
  'small',
  'large',
  'wooden',
  'silver',
  'broken',
  'heavy',
  'quiet',
  'bright',
  'antique',
  'folding',
  'electric',
];
const NOUNS = [
  'bicycle',
  'camera',
  'lantern',
  'guitar',
  'kettle',
  'telescope',
  'umbrella',
  'violin',
  'compass',
  'typewriter',
  'clock',
  'sofa',
  'kayak',
  'drone',
  'piano',
  'scooter',
  'tent',
  'radio',
  'lamp',
  'microscope',
  'saddle',
  'mirror',
  'backpack',
  'bookshelf',
  'printer',
];
const CITIES = [
  'Lisbon',
  'Osaka',
  'Nairobi',
  'Oslo',
  'Lima',
  'Cairo',
  'Dublin',
  'Hanoi',
  'Quito',
  'Seville',
  'Krakow',
  'Porto',
  'Tunis',
  'Bergen',
  'Cusco',
  'Riga',
  'Tallinn',
  'Hobart',
  'Fez',
  'Bilbao',
  'Gdansk',
  'Lyon',
  'Turin',
  'Zagreb',
  'Accra',
  'Dakar',
  'Manila',
  'Perth',
  'Quebec',
  'Salzburg',
  'Tbilisi',
  'Valencia',
  'Vilnius',
  'Windhoek',
  'Yerevan',
  'Leeds',
  'Malmo',
  'Nantes',
  'Graz',
  'Split',
];
const ACTS = ['bought', 'repaired', 'sold', 'borrowed', 'painted', 'lost', 'found', 'photographed', 'cleaned', 'lent'];

/** A fact whose (person, thing, city) is unique in the set, with two searches that should find it first. */
export interface Fact {
  id: string;
  text: string;
  /** A question in other words: every one of its terms is shared by many facts, only their combination is not. */
  question: string;
  /** A contiguous phrase of the text (what a substring matcher can find), most of its words also shared. */
  phrase: string;
}

const TRIPLES = FIRST.length * ADJECTIVES.length * NOUNS.length * CITIES.length;
/** Steps through every triple once in a scattered order (the step is prime to TRIPLES). */
const STEP = 387_433;

/**
 * Facts that need ranking to be found: `fact-i` is a person, an act, an object (adjective and noun), a city and a
 * time; up to 640,000 facts, each (person, object, city) once. Facts from and to n are the same in every call.
 */
export function makeFacts(from: number, to: number, seed = 11): Fact[] {
  if (to > TRIPLES) throw new Error(`makeFacts: at most ${TRIPLES} facts`);
  const facts: Fact[] = [];
  for (let i = from; i < to; i++) {
    const r = rng(seed * 1_000_003 + i);
    const t = (i * STEP + seed) % TRIPLES;
    const person = FIRST[t % FIRST.length]!;
    const rest = Math.floor(t / FIRST.length);
    const adjective = ADJECTIVES[rest % ADJECTIVES.length]!;
    const noun = NOUNS[Math.floor(rest / ADJECTIVES.length) % NOUNS.length]!;
    const city = CITIES[Math.floor(rest / (ADJECTIVES.length * NOUNS.length))]!;
    const act = pick(r, ACTS);
    const phrase = `${person} ${act} the ${adjective} ${noun} in ${city}`;
    facts.push({
      id: `fact-${i}`,
      text: `${phrase} ${pick(r, WHEN)}.`,
      question: `What did ${person} do with the ${adjective} ${noun} in ${city}?`,
      phrase,
    });
  }
  return facts;
}
