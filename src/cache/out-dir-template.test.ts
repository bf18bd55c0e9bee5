import { describe, expect, it } from 'vitest';
import { fromTemplate, toTemplate } from './out-dir-template.js';

describe('out-dir templates', () => {
  it('carries raw and JSON-escaped out-dirs to another out-dir', () => {
    const from = '/home/a/my "proj"/target/debug/deps';
    const to = '/home/b/other/target/debug/deps';
    const json = JSON.stringify({ artifact: `${from}/libx.rmeta` });
    const text = `${from}/x.d: src/lib.rs\n${json}\n`;
    const template = toTemplate(text, from);
    expect(template).not.toContain('/home/a');
    expect(fromTemplate(template, to)).toBe(`${to}/x.d: src/lib.rs\n${JSON.stringify({ artifact: `${to}/libx.rmeta` })}\n`);
  });
});
