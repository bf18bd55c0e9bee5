import { accessSync, constants, existsSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, loadConfig, type LoadedConfig } from '../config/load.js';
import { MAX_SOCKET_PATH_BYTES, resolveLocations } from '../protocol/locations.js';
import { inspectRendezvous, rendezvousAdvice } from '../protocol/rendezvous.js';
import type { StatsSnapshot } from '../stats/snapshot.js';
import { HOARD_VERSION } from '../version.js';
import { restoredEnvironment } from '../client/environment.js';
import { incrementalSetting, isHoard, resolveTool, rustcWrapperSetting } from './cargo-settings.js';
import { askServerData, CliError } from './client.js';
import { runChecks, somethingWrong, type Check, type DoctorFacts, type ServerFacts } from './doctor-checks.js';
import { compilerFacts } from './doctor-compilers.js';
import { currentStats } from './stats-command.js';
import { probeRemotes, remoteChecks, sccacheChecks } from './doctor-remotes.js';
import { homedir } from 'node:os';
import { whyHistory } from './why-command.js';
import { errorLine } from '../errors/hoard-error.js';
import { contentHashName } from '../fs/content-hash.js';

/** Why hoard could not write its cache directory, or undefined when it can. */
function cacheDirProblem(dir: string): string | undefined {
  let existing = dir;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
    return undefined;
  } catch (error) {
    return `the cache directory ${dir} is not writable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message} at ${existing}): every compile runs uncached; fix its permissions or set cache_dir ('hoard config set cache_dir …').`;
  }
}

function freeBytes(dir: string): number | undefined {
  try {
    let existing = dir;
    while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
    const info = statfsSync(existing);
    return info.bavail * info.bsize;
  } catch {
    return undefined;
  }
}

function rendezvousFact(socketDir: string): { rendezvousProblem?: string } {
  const found = inspectRendezvous(socketDir);
  return found.state === 'untrusted' ? { rendezvousProblem: `${found.problem}: ${rendezvousAdvice(socketDir)}` } : {};
}

async function gather(env: NodeJS.ProcessEnv): Promise<DoctorFacts> {
  const cwd = process.cwd();
  const wrapper = rustcWrapperSetting(cwd, env);
  let config: LoadedConfig | undefined;
  let configError: string | undefined;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    configError = errorLine(error);
  }
  let server: ServerFacts | string | undefined;
  try {
    server = await askServerData('status', env);
  } catch (error) {
    server = `the server could not be asked: ${(error as Error).message}`;
  }
  let stats: StatsSnapshot | undefined;
  if (config || typeof server === 'object') stats = await currentStats().catch(() => undefined);
  const cacheDir = stats?.cache.dir ?? config?.config.cache_dir;
  return {
    version: HOARD_VERSION,
    env,
    ...(wrapper ? { wrapper } : {}),
    wrapperIsHoard: wrapper !== undefined && isHoard(wrapper, env),
    wrapperFound:
      wrapper !== undefined &&
      (() => {
        const tool = resolveTool(wrapper, env);
        return tool !== undefined && existsSync(tool);
      })(),
    ...(incrementalSetting(cwd, env) ? { incremental: incrementalSetting(cwd, env)! } : {}),
    ...(config ? { config } : {}),
    ...(configError ? { configError } : {}),
    ...(server !== undefined ? { server } : {}),
    ...(stats ? { stats } : {}),
    ...(cacheDir && cacheDirProblem(cacheDir) ? { cacheDirProblem: cacheDirProblem(cacheDir)! } : {}),
    ...(cacheDir && freeBytes(cacheDir) !== undefined ? { freeBytes: freeBytes(cacheDir)! } : {}),
    socketPath: resolveLocations(env).socketPath,
    ...rendezvousFact(resolveLocations(env).socketDir),
    maxSocketPathBytes: MAX_SOCKET_PATH_BYTES,
    contentHash: contentHashName(),
    ...(config ? { whyHistory: await whyHistory(env).catch(() => undefined) } : {}),
    compilers: compilerFacts(cwd, env),
  };
}

const LABELS: Record<Check['status'], string> = { ok: 'ok', info: 'info', warn: 'WARN', fail: 'FAIL' };

/** `hoard doctor [--json]`: one line per check, with what to do; exit status 1 when something is wrong. */
export async function doctorCommand(args: string[]): Promise<number> {
  const unknown = args.find((arg) => arg !== '--json');
  if (unknown)
    throw new CliError(`'hoard doctor ${unknown}' is not an option; use 'hoard doctor' or 'hoard doctor --json'.`);
  const env = restoredEnvironment(process.env);
  const facts = await gather(env);
  const remotes = facts.config?.config.remotes ?? [];
  const probes = await probeRemotes(remotes, env, env.HOME || homedir());
  const checks = [...runChecks(facts), ...remoteChecks(probes, facts.stats?.remotes), ...sccacheChecks(env, remotes)];
  const wrong = somethingWrong(checks);
  if (args.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ ok: !wrong, checks }, null, 2)}\n`);
  } else {
    const lines = checks.map((check) => `${LABELS[check.status].padEnd(4)}  ${check.id.padEnd(13)} ${check.message}`);
    lines.push(wrong ? 'Something needs attention: see the WARN and FAIL lines.' : 'All good.');
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return wrong ? 1 : 0;
}
