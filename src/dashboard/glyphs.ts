/** Text shapes the dashboard draws with: truncation, bars, sparklines. Pure functions of their input. */

export function truncateEnd(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** Keeps the end, where a path's most telling part is. */
export function truncateStart(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text : `…${text.slice(text.length - width + 1)}`;
}

export function fitText(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const cut = truncateEnd(text, width);
  return align === 'left' ? cut.padEnd(width) : cut.padStart(width);
}

/** A rate from 0 to 1 as a bar of eighths: the eye reads it faster than the number. */
export function rateBar(rate: number | null | undefined, width: number): string {
  if (rate === null || rate === undefined) return '·'.repeat(width);
  const eighths = Math.round(Math.min(1, Math.max(0, rate)) * width * 8);
  const full = Math.floor(eighths / 8);
  const partial = eighths % 8;
  const partials = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
  return `${'█'.repeat(full)}${partials[partial]}`.padEnd(width, '░').slice(0, width);
}

export function percent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? '-' : `${(rate * 100).toFixed(1)} %`;
}

const LEVELS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** One character per slot; a slot with nothing answered is a dot, so a quiet minute is not a 0 % one. */
export function sparkline(slots: ReadonlyArray<number | undefined>): string {
  return slots
    .map((rate) => (rate === undefined ? '·' : LEVELS[Math.min(LEVELS.length - 1, Math.floor(rate * LEVELS.length))]))
    .join('');
}
