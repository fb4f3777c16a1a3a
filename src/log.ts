export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
export type LogFields = Record<string, unknown>;

/** Structured JSON logging, one line per event. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/** Writes JSON lines to stdout (debug, info) and stderr (warn, error) at or above `level`. */
export function jsonLogger(level: LogLevel, base: LogFields = {}): Logger {
  function write(at: Exclude<LogLevel, "silent">, msg: string, fields?: LogFields) {
    if (order[at] < order[level]) return;
    const line = JSON.stringify({
      time: new Date().toISOString(),
      level: at,
      msg,
      ...base,
      ...fields,
    });
    if (order[at] >= order.warn) console.error(line);
    else console.log(line);
  }
  return {
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
  };
}

/** The message of anything thrown, for logs and stored error states. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
