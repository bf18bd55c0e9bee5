import { describe, expect, it } from 'vitest';

// Ink colours through chalk, which picks its colour level when first loaded: force colour on before
// loading Ink, so that "no colour" below is the dashboard's doing and not a test without a terminal.
process.env.FORCE_COLOR = '1';
const { render, cleanup } = await import('ink-testing-library');
const { Dashboard } = await import('./dashboard.js');
const { colorWanted } = await import('./run-dashboard.js');
const { compileEvent, liveView, NOW, snapshot } = await import('./test-factory.js');

// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape that starts a colour is what this test looks for
const FOREGROUND_COLOR = /\u001b\[(3[0-7]|9[0-7]|38;)/;

function frame(color: boolean): string {
  const view = liveView({
    snapshot: snapshot([{ id: 'main', root: '/home/dev/src/app', hits: 3, misses: 1 }]),
    recent: [
      compileEvent({ crate: 'serde', outcome: 'hit', durationMs: 10 }),
      compileEvent({ crate: 'regex', outcome: 'miss', durationMs: 900 }),
    ],
  });
  const instance = render(
    <Dashboard
      view={view}
      now={NOW}
      width={100}
      height={30}
      color={color}
      onQuit={() => undefined}
      onZero={() => undefined}
    />,
  );
  const output = instance.lastFrame() ?? '';
  cleanup();
  return output;
}

describe('NO_COLOR', () => {
  it('is honoured when set and not empty', () => {
    expect(colorWanted({ NO_COLOR: '1' })).toBe(false);
    expect(colorWanted({ NO_COLOR: '' })).toBe(true);
    expect(colorWanted({})).toBe(true);
  });

  it('leaves no colour in the output, while the same screen in colour has some', () => {
    expect(frame(true)).toMatch(FOREGROUND_COLOR);
    const plain = frame(false);
    expect(plain).not.toMatch(FOREGROUND_COLOR);
    expect(plain).toContain('server running');
    expect(plain).toContain('serde');
  });
});
