import type { LogFields, Logger } from "@/log.ts";

/** A logger that keeps what is logged at warn and error. */
export function recordingLog() {
  const lines: { level: string; msg: string; fields: LogFields }[] = [];
  const keep = (level: string) => (msg: string, fields: LogFields = {}) =>
    void lines.push({ level, msg, fields });
  const log: Logger = { debug: () => {}, info: () => {}, warn: keep("warn"), error: keep("error") };
  return { log, lines };
}
