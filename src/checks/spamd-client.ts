import net from 'node:net';

export interface SpamResult {
  score: number;
  threshold: number;
  isSpam: boolean;
  rules: Array<{ name: string; score: number; description: string }>;
}

export interface SpamdAddress {
  host: string;
  port: number;
}

/** Bytes of spamd's answer we read at most (a REPORT is a few KB). */
const maxResponse = 1024 * 1024;

/**
 * Asks spamd (SPAMC/SPAMD protocol 1.5, as `spamc` speaks it) for a `REPORT`: the verdict line gives score and
 * threshold, the report body lists each rule hit with its points and description.
 */
export function checkSpam(raw: Buffer, spamd: SpamdAddress, timeoutMs = 30_000): Promise<SpamResult> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(spamd.port, spamd.host);
    const chunks: Buffer[] = [];
    let size = 0;
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`spamd at ${spamd.host}:${spamd.port} did not answer within ${timeoutMs} ms`)));
    socket.on('connect', () => {
      socket.write(`REPORT SPAMC/1.5\r\nContent-length: ${raw.length}\r\nUser: mailsandbox\r\n\r\n`);
      socket.end(raw);
    });
    socket.on('data', (d: Buffer) => {
      size += d.length;
      if (size > maxResponse) socket.destroy(new Error('spamd answer too large'));
      else chunks.push(d);
    });
    socket.on('error', (err) => reject(new Error(`spamd at ${spamd.host}:${spamd.port}: ${err.message}`)));
    socket.on('close', () => {
      try {
        resolve(parseSpamdReport(Buffer.concat(chunks).toString('utf8')));
      } catch (err) {
        reject(err as Error);
      }
    });
  });
}

/** Parses `SPAMD/1.1 0 EX_OK`, `Spam: True ; 1000.0 / 5.0` and the report's rule table. */
export function parseSpamdReport(text: string): SpamResult {
  const status = /^SPAMD\/[\d.]+ (\d+) (\S+)/.exec(text);
  if (!status) throw new Error('spamd: no SPAMD status line in the answer');
  if (status[1] !== '0') throw new Error(`spamd answered ${status[1]} ${status[2]}`);
  const verdict = /^Spam: (True|False|Yes|No) ; (-?[\d.]+) \/ (-?[\d.]+)/im.exec(text);
  if (!verdict) throw new Error('spamd: no Spam: header in the answer');
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  return { isSpam: /true|yes/i.test(verdict[1]), score: Number(verdict[2]), threshold: Number(verdict[3]), rules: parseRuleTable(body) };
}

/**
 * The table after the `---- ----` line: ` 1000 GTUBE   BODY: Generic Test for Unsolicited Bulk Email`, with
 * descriptions that wrap onto indented lines.
 */
function parseRuleTable(body: string): SpamResult['rules'] {
  const rules: SpamResult['rules'] = [];
  const start = body.search(/^\s*-{3,}\s+-{3,}/m);
  if (start === -1) return rules;
  const lines = body.slice(start).split(/\r?\n/).slice(1);
  for (const line of lines) {
    const m = /^\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)\s+(.*)$/.exec(line);
    if (m) rules.push({ name: m[2], score: Number(m[1]), description: m[3].trim() });
    else if (/^\s{6,}\S/.test(line) && rules.length) rules[rules.length - 1].description += ` ${line.trim()}`;
  }
  return rules;
}
