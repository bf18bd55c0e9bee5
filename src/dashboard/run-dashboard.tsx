import { render, useApp, useStdout } from 'ink';
import { useEffect, useState } from 'react';
import { Dashboard } from './dashboard.js';
import { useLiveStats, type LiveStatsSource } from './use-live-stats.js';

/** NO_COLOR (no-color.org): present and not empty turns colour off; bold and inverse stay. */
export function colorWanted(env: NodeJS.ProcessEnv): boolean {
  return !env.NO_COLOR;
}

function sizeOf(stdout: NodeJS.WriteStream): { width: number; height: number } {
  return { width: stdout.columns || 80, height: stdout.rows || 24 };
}

function useTerminalSize(): { width: number; height: number } {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => sizeOf(stdout));
  useEffect(() => {
    const onResize = (): void => setSize(sizeOf(stdout));
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

function useClock(intervalMs: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

function LiveDashboard({ source, color, home }: { source: LiveStatsSource; color: boolean; home: string | undefined }) {
  const { exit } = useApp();
  const { view, zero } = useLiveStats(source);
  const { width, height } = useTerminalSize();
  const now = useClock(1000);
  return (
    <Dashboard
      view={view}
      now={now}
      width={width}
      height={height}
      color={color}
      home={home}
      onQuit={() => exit()}
      onZero={zero}
    />
  );
}

const ALTERNATE_SCREEN_ON = '\u001b[?1049h\u001b[H\u001b[2J';
const ALTERNATE_SCREEN_OFF = '\u001b[?1049l';

/**
 * Opens the dashboard in the terminal's alternate screen, so that quitting gives back the shell's
 * screen as it was. Resolves when the user quits.
 */
export async function runDashboard(source: LiveStatsSource, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  process.stdout.write(ALTERNATE_SCREEN_ON);
  const restore = (): void => {
    process.stdout.write(ALTERNATE_SCREEN_OFF);
  };
  process.once('exit', restore);
  try {
    const app = render(<LiveDashboard source={source} color={colorWanted(env)} home={env.HOME} />, {
      exitOnCtrlC: true,
      patchConsole: true,
    });
    await app.waitUntilExit();
    return 0;
  } finally {
    process.off('exit', restore);
    restore();
  }
}
