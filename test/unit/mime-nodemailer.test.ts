import { simpleParser, type AddressObject } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { describe, expect, it } from 'vitest';
import imapParser from 'imapflow/lib/handler/imap-parser.js';
import { ImapStream } from 'imapflow/lib/handler/imap-stream.js';
import { parseBodystructure, parseEnvelope } from 'imapflow/lib/tools.js';
import { bodyStructureOf } from '../../src/mime/body-structure.js';
import { envelopeOf } from '../../src/mime/envelope.js';
import { formatImapValue } from '../../src/mime/imap-value.js';
import { parseMimeTree } from '../../src/mime/mime-tree.js';
import { bodyTextOf } from '../../src/mime/searchable-text.js';
import { describeStructure, type MimePartInfo } from '../../src/mime/structure-info.js';
import type { StoredMessage } from '../../src/store/types.js';

/*
 * Messages written by a real mail library (nodemailer's composer) and read three ways: by us, by mailparser,
 * and by imapflow from our ENVELOPE/BODYSTRUCTURE. The three readings must agree.
 */

type MailOptions = ConstructorParameters<typeof MailComposer>[0];

const forwardedRaw = 'From: inner@example.org\r\nSubject: inner\r\n\r\nForwarded words\r\n';
const cases: Array<[string, MailOptions]> = [
  ['text only', { from: 'a@example.org', to: 'b@example.com', subject: 'Hi', text: 'Just text' }],
  ['text and html', { from: 'Ann <a@example.org>', to: 'b@example.com', subject: 'Both', text: 'Plain words', html: '<p>Rich <b>words</b></p>' }],
  [
    'inline image and attachments with unicode names',
    {
      from: '"Müller, Jörg" <j@example.de>',
      to: ['Zoë <z@example.com>', '"Quote \\" Name" <q@example.com>', 'plain@example.com'],
      cc: 'Team: one@example.com, two@example.com;',
      subject: 'Grüße — mit Anhängen',
      text: 'See attachments',
      html: '<p>Logo: <img src="cid:logo@x"></p>',
      attachments: [
        { filename: 'überlanger Dateiname mit sehr vielen Zeichen, damit er umbricht.pdf', content: Buffer.from('%PDF-1.4') },
        { filename: 'logo.png', cid: 'logo@x', content: Buffer.from('png bytes') },
        { filename: 'notes.txt', content: 'Attached note words' },
      ],
    },
  ],
  ['html only with a calendar alternative', { from: 'a@example.org', to: 'b@example.com', subject: 'Meet', html: '<h1>Meeting</h1>', icalEvent: { content: 'BEGIN:VCALENDAR\r\nEND:VCALENDAR' } }],
  ['a forwarded message attachment', { from: 'a@example.org', to: 'b@example.com', subject: 'Fwd', text: 'Outer words', attachments: [{ filename: 'fwd.eml', contentType: 'message/rfc822', content: forwardedRaw }] }],
  ['long quoted-printable unicode text', { from: 'a@example.org', to: 'b@example.com', subject: 'QP', text: `${'Grüße '.repeat(80)}end` }],
  ['base64 text', { from: 'a@example.org', to: 'b@example.com', subject: 'B64', text: 'Base64 words ✓', textEncoding: 'base64' }],
];

function compose(options: MailOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => new MailComposer(options).compile().build((err, msg) => (err ? reject(err) : resolve(msg))));
}

const quiet = { debug() {}, info() {}, warn() {}, error() {}, trace() {}, fatal() {} };

async function imapflowReading(raw: Buffer) {
  const tree = parseMimeTree(raw);
  const line = Buffer.concat([
    Buffer.from('* 1 FETCH (ENVELOPE '), formatImapValue(envelopeOf(tree)),
    Buffer.from(' BODYSTRUCTURE '), formatImapValue(bodyStructureOf(tree, true)), Buffer.from(')\r\n'),
  ]);
  const framed = await new Promise<{ payload: Buffer; literals: Buffer[]; next: () => void }>((resolve, reject) => {
    const stream = new ImapStream({ logger: quiet } as never);
    stream.once('error', reject);
    stream.once('data', resolve);
    stream.write(line);
  });
  framed.next();
  const response = (await imapParser(framed.payload, { literals: framed.literals })) as { attributes: unknown[] };
  const items = response.attributes[1] as unknown[];
  return { envelope: parseEnvelope(items[1] as never), structure: parseBodystructure(items[3] as never) as unknown as FlowNode };
}

interface FlowNode {
  type: string;
  childNodes?: FlowNode[];
}

const flowLeaves = (n: FlowNode): string[] => (n.childNodes ? n.childNodes.flatMap(flowLeaves) : [n.type]);
const ourLeaves = (n: MimePartInfo): string[] => (n.children.length ? n.children.flatMap(ourLeaves) : [n.contentType]);
const flatten = (n: MimePartInfo): MimePartInfo[] => [n, ...n.children.flatMap(flatten)];
const addresses = (a: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(a) ? a : a ? [a] : []).flatMap((o) => o.value.flatMap((v) => (v.group ? [{ name: v.name, address: '' }, ...v.group] : [v])))
    .map((v) => ({ name: v.name ?? '', address: v.address ?? '' }));

describe('messages composed by nodemailer read the same by us, mailparser and imapflow', () => {
  it.each(cases)('agrees on the attachments of a message with %s', async (_name, options) => {
    const raw = await compose(options);
    const mail = await simpleParser(raw);
    // mailparser reads a message/rfc822 attachment as inline content, not as an attachment; leave those out.
    const ours = flatten(describeStructure(parseMimeTree(raw))).filter((p) => p.filename && p.contentType !== 'message/rfc822');
    const theirs = mail.attachments.filter((a) => a.filename);
    expect(ours.map((p) => p.filename).sort()).toEqual(theirs.map((a) => a.filename!).sort());
    for (const a of theirs) {
      const part = ours.find((p) => p.filename === a.filename)!;
      expect(part.contentType).toBe(a.contentType);
      if (a.cid) expect(part.contentId).toBe(a.cid);
    }
  });

  it.each(cases)('finds the text mailparser finds in a message with %s', async (_name, options) => {
    const raw = await compose(options);
    const mail = await simpleParser(raw);
    const text = bodyTextOf({ raw } as StoredMessage).replace(/\s+/g, ' ');
    if (options?.text) expect(text).toContain(String(options.text).replace(/\s+/g, ' ').trim());
    if (mail.html) expect(text).toContain(mail.html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().split(' ')[0]);
  });

  it.each(cases)('gives imapflow the parts and addresses of a message with %s', async (_name, options) => {
    const raw = await compose(options);
    const mail = await simpleParser(raw);
    const { envelope, structure } = await imapflowReading(raw);
    expect(flowLeaves(structure)).toEqual(ourLeaves(describeStructure(parseMimeTree(raw))));
    expect(envelope.subject).toBe(mail.subject);
    expect(envelope.from).toEqual(addresses(mail.from));
    expect(envelope.to ?? []).toEqual(addresses(mail.to));
    expect(envelope.cc ?? []).toEqual(addresses(mail.cc));
    expect(envelope.messageId).toBe(mail.messageId);
  });
});
