/**
 * Seeded mail (library `deliver()`, `POST /api/v1/messages`) often comes from an .eml saved on Unix, with bare LF line
 * endings. SMTP would have delivered CRLF, and POP3/IMAP clients expect it, so both seeding paths turn bare LF into
 * CRLF. A buffer that is already CRLF-only is returned as is (no copy).
 */
export function toCrlf(raw: Buffer): Buffer {
  let bare = 0;
  for (let i = raw.indexOf(0x0a); i >= 0; i = raw.indexOf(0x0a, i + 1)) if (i === 0 || raw[i - 1] !== 0x0d) bare++;
  if (bare === 0) return raw;
  const out = Buffer.allocUnsafe(raw.length + bare);
  let j = 0;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x0a && (i === 0 || raw[i - 1] !== 0x0d)) out[j++] = 0x0d;
    out[j++] = raw[i];
  }
  return out;
}
