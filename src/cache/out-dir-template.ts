/**
 * Outputs that name the out-dir (dep-info, cargo's JSON artifact notices) are stored with a
 * placeholder and written back with the out-dir of the build being served, so an entry made in one
 * target directory restores correctly into another.
 */
const RAW = '@@HOARD_OUT_DIR@@';
const JSON_ESCAPED = '@@HOARD_OUT_DIR_JSON@@';

function jsonEscaped(path: string): string {
  return JSON.stringify(path).slice(1, -1);
}

export function toTemplate(text: string, outDir: string): string {
  const escaped = jsonEscaped(outDir);
  let result = text;
  if (escaped !== outDir) result = result.split(escaped).join(JSON_ESCAPED);
  return result.split(outDir).join(RAW);
}

export function fromTemplate(text: string, outDir: string): string {
  return text.split(JSON_ESCAPED).join(jsonEscaped(outDir)).split(RAW).join(outDir);
}

export function hasTemplate(text: string): boolean {
  return text.includes('@@HOARD_OUT_DIR');
}
