// Small numeric and formatting helpers shared by every bench/*.bench.mjs.

/** The p-th percentile (0-100) of `values` (nearest rank); NaN for an empty list. Does not modify `values`. */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

/** { p50, p99, max } of latencies in ms. */
export function latencySummary(values) {
  return { p50: percentile(values, 50), p99: percentile(values, 99), max: percentile(values, 100) };
}

/** This process's resident set size in MiB, after two GCs when node runs with --expose-gc. */
export function rssMiB() {
  if (globalThis.gc) {
    globalThis.gc();
    globalThis.gc();
  }
  return process.memoryUsage().rss / 1024 / 1024;
}

/** A number for a table: `digits` decimals, thousands separated; 'n/a' for NaN/undefined. */
export function fmt(value, digits = 0) {
  if (value === undefined || value === null || Number.isNaN(value)) return 'n/a';
  return Number(value).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A markdown table: `headers` is a list of column names, `rows` a list of lists of cells (strings or numbers). */
export function markdownTable(headers, rows) {
  const line = (cells) => `| ${cells.map((c) => String(c)).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Milliseconds since `start` (a value of performance.now()). */
export function since(start) {
  return performance.now() - start;
}

/** Machine facts to print with figures: node version, CPU model and count. */
export async function machineInfo() {
  const os = await import('node:os');
  const cpus = os.cpus();
  return `node ${process.version}, ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${os.platform()} ${os.release()}`;
}
