/**
 * Multipliers for size units. SI units (kB, MB, GB) are decimal and IEC units (KiB, MiB, GiB) binary, as in
 * `ls --si` and disk vendors; a bare K/M/G is binary, as nginx, Postfix and Docker read it.
 */
const units: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
};

/**
 * Reads a byte size such as `26214400`, `25MiB`, `10MB` or `2.5 MiB` (decimals allowed, rounded to a whole byte).
 * Returns undefined for anything else.
 * @example parseSize('10MB') === 10_000_000; parseSize('10MiB') === 10_485_760
 */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)$/i.exec(text.trim());
  if (!m) return undefined;
  const multiplier = units[(m[2] || 'b').toLowerCase()];
  if (multiplier === undefined) return undefined;
  return Math.round(Number(m[1]) * multiplier);
}
