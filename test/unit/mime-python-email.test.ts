import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMimeTree } from '../../src/mime/mime-tree.js';
import { describeStructure, type MimePartInfo } from '../../src/mime/structure-info.js';
import { fixtureDir, loadMimeFixtures } from './mime-fixture-loader.js';

/*
 * A third, independent reading of the fixtures: Python's own `email` package walks each message and reports the
 * parts in depth-first order (containers and encapsulated messages included, as describeStructure does).
 */
const script = `
import email, email.policy, json, sys
out = {}
for path in sys.argv[1:]:
    with open(path, 'rb') as f:
        msg = email.message_from_binary_file(f, policy=email.policy.compat32)
    out[path] = [{'contentType': p.get_content_type(), 'filename': p.get_filename(),
                  'charset': p.get_content_charset()} for p in msg.walk()]
print(json.dumps(out))
`;

function hasPython(): boolean {
  try {
    execFileSync('python3', ['-c', 'import email'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const fixtures = loadMimeFixtures();
const python = hasPython();

function pythonReading(): Record<string, Array<{ contentType: string; filename: string | null; charset: string | null }>> {
  const paths = fixtures.map((f) => join(fixtureDir, `${f.name}.eml`));
  return JSON.parse(execFileSync('python3', ['-c', script, ...paths], { encoding: 'utf8' }));
}

const flatten = (n: MimePartInfo): MimePartInfo[] => [n, ...n.children.flatMap(flatten)];

describe('Python email reads the fixtures as we do', () => {
  const reading = python ? pythonReading() : {};

  it.skipIf(!python).each(fixtures)('finds the same parts, types, filenames and charsets in $name (skipped without python3)', ({ name, raw }) => {
    const ours = flatten(describeStructure(parseMimeTree(raw))).map((p) => ({
      contentType: p.contentType,
      filename: p.filename,
      charset: p.charset?.toLowerCase() ?? null,
    }));
    expect(ours).toEqual(reading[join(fixtureDir, `${name}.eml`)]);
  });
});
