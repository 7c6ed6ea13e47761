import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MemoryError } from '../../errors.js';

/** A client's config file as found: its text, the JSON in it, and how it was written (to write it back alike). */
export interface ConfigFile {
  path: string;
  exists: boolean;
  text: string;
  data: Record<string, unknown>;
  indent: string;
  /** Comments or trailing commas (VS Code's files allow both): writing the file back drops them. */
  hadComments: boolean;
}

/** Copies `text`, letting `visit` skip or replace what starts at a position outside strings (null: copy it). */
function outsideStrings(text: string, visit: (i: number) => { skip: number; emit?: string } | null): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const step = visit(i);
    if (step) {
      out += step.emit ?? '';
      i += step.skip;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}

/**
 * Removes // and /* *\/ comments, then trailing commas, outside strings, so the JSONC that VS Code (and people)
 * write parses as JSON. Returns the text unchanged when there are none.
 */
export function stripJsonComments(text: string): string {
  const noComments = outsideStrings(text, (i) => {
    if (text[i] === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      return { skip: (end < 0 ? text.length : end) - i };
    }
    if (text[i] === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      return { skip: (end < 0 ? text.length : end + 2) - i, emit: ' ' };
    }
    return null;
  });
  return outsideStrings(noComments, (i) => {
    if (noComments[i] !== ',') return null;
    const nonSpace = /\S/g;
    nonSpace.lastIndex = i + 1;
    const next = nonSpace.exec(noComments)?.[0];
    return next === '}' || next === ']' ? { skip: 1 } : null;
  });
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  return `line ${line}, column ${position - before.lastIndexOf('\n')}`;
}

export function readConfigFile(path: string): ConfigFile {
  if (!existsSync(path)) return { path, exists: false, text: '', data: {}, indent: '  ', hadComments: false };
  const text = readFileSync(path, 'utf8');
  if (!text.trim()) return { path, exists: true, text, data: {}, indent: '  ', hadComments: false };
  const plain = stripJsonComments(text);
  let data: unknown;
  try {
    data = JSON.parse(plain);
  } catch (err) {
    const at = /position (\d+)/.exec((err as Error).message);
    const where = at ? ` (${lineAndColumn(plain, Number(at[1]))})` : '';
    throw new MemoryError(
      'invalid',
      `${path} is not valid JSON${where}: ${(err as Error).message}. Fix the file (or point --config at another); nothing was written.`,
    );
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new MemoryError('invalid', `${path} does not hold a JSON object; nothing was written.`);
  }
  const indent = /\n([ \t]+)\S/.exec(text)?.[1] ?? '  ';
  return { path, exists: true, text, data: data as Record<string, unknown>, indent, hadComments: plain !== text };
}

/** The file's new text, indented as it was, ending with a newline. */
export const renderConfig = (file: ConfigFile, data: unknown): string => `${JSON.stringify(data, null, file.indent)}\n`;

/**
 * Writes `text` to the file: first a backup of the old file beside it (named with the time, so none is ever
 * overwritten), then the new text to a temporary file renamed over the old one, so a crash leaves either file
 * whole. A new file that holds a token is readable by its owner only. Returns the backup's path.
 */
export function writeConfigFile(file: ConfigFile, text: string, opts: { secret: boolean }): string | null {
  mkdirSync(dirname(file.path), { recursive: true });
  let backup: string | null = null;
  let mode = opts.secret ? 0o600 : 0o644;
  if (file.exists) {
    mode = statSync(file.path).mode & 0o777;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    backup = `${file.path}.${stamp}.bak`;
    writeFileSync(backup, file.text, { mode, flag: 'wx' });
  }
  const temp = join(dirname(file.path), `.${Date.now()}-${process.pid}.agent-memory.tmp`);
  writeFileSync(temp, text, { mode });
  chmodSync(temp, mode);
  renameSync(temp, file.path);
  return backup;
}
