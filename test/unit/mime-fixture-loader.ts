import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shape of `fixtures/messages/*.expected.json` (written by hand from RFC 3501 §7.4.2, not by running the code). */
export interface MimeFixture {
  name: string;
  raw: Buffer;
  description: string;
  envelope: string;
  bodystructure: string;
  body: string;
  /** BODY[section] → expected bytes (UTF-8 text). */
  sections: Record<string, string>;
  searchText: string[];
  notInSearchText?: string[];
  decodedHeaders?: Record<string, string[]>;
  structure?: Array<Record<string, unknown>>;
  imapflow: {
    envelope: Record<string, unknown>;
    absentEnvelopeKeys?: string[];
    parts: Array<Record<string, unknown>>;
  };
}

export const fixtureDir = fileURLToPath(new URL('../../fixtures/messages/', import.meta.url));

export function loadMimeFixtures(): MimeFixture[] {
  return readdirSync(fixtureDir)
    .filter((f) => f.endsWith('.expected.json'))
    .sort()
    .map((f) => {
      const name = f.replace(/\.expected\.json$/, '');
      const expected = JSON.parse(readFileSync(join(fixtureDir, f), 'utf8')) as Omit<MimeFixture, 'name' | 'raw'>;
      return { ...expected, name, raw: readFileSync(join(fixtureDir, `${name}.eml`)) };
    });
}
