import { makeDirectorySync } from '../fs/make-directory.js';
import { appendFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { LOG_LEVELS, type LogLevel } from '../config/schema.js';

/**
 * Server log: to stderr in the foreground, to a file as a daemon. Errors also go to the error log,
 * which the wrapper writes to as well, so one file tells every reason a compile went uncached.
 */
export class Logger {
  constructor(
    public level: LogLevel,
    private readonly target: { file?: string; errorLog: string },
  ) {}

  private write(level: LogLevel, message: string): void {
    if (LOG_LEVELS.indexOf(level) > LOG_LEVELS.indexOf(this.level)) return;
    const line = `${new Date().toISOString()} server[${process.pid}] ${level}: ${message.replace(/\n/g, ' | ')}\n`;
    try {
      if (this.target.file) {
        makeDirectorySync(dirname(this.target.file));
        appendFileSync(this.target.file, line);
      } else {
        process.stderr.write(line);
      }
      if (level === 'error') appendFileSync(this.target.errorLog, line);
    } catch {
      // A full disk must not take the server down with it.
    }
  }

  error(message: string): void {
    this.write('error', message);
  }
  warn(message: string): void {
    this.write('warn', message);
  }
  info(message: string): void {
    this.write('info', message);
  }
  debug(message: string): void {
    this.write('debug', message);
  }
}
