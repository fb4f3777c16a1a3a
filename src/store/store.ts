import type { FileStore } from "./files.ts";
import type { OrganizationRepository } from "@/modules/organizations/repository.ts";
import type { UserRepository } from "@/modules/users/repository.ts";
import type { AuditRepository } from "@/modules/audit/repository.ts";
import type { IpRuleRepository, LoginAttemptRepository } from "@/modules/access/repository.ts";
import type { AuthSecretRepository, RevocationRepository } from "@/modules/auth/repository.ts";
import type {
  CounterRepository,
  QueryHistoryRepository,
  QueryRepository,
} from "@/modules/queries/repository.ts";
import type { AgentStateRepository } from "@/modules/routing/repository.ts";
import type { MessageRepository } from "@/modules/chat/repository.ts";
import type { ReportRepository } from "@/modules/reports/repository.ts";
import type { LabelRepository } from "@/modules/labels/repository.ts";
import type { DocumentCollection, Documents, DocumentTypes } from "./documents.ts";

/** Every repository, behind one handle; each capability adds its own. */
export interface Store {
  readonly kind: "sqlite" | "mongo";
  /** The store's own file storage (MongoDB GridFS), when it has one. */
  files?: FileStore;
  organizations: OrganizationRepository;
  users: UserRepository;
  audit: AuditRepository;
  loginAttempts: LoginAttemptRepository;
  ipRules: IpRuleRepository;
  authSecrets: AuthSecretRepository;
  revocations: RevocationRepository;
  counters: CounterRepository;
  queries: QueryRepository;
  queryHistory: QueryHistoryRepository;
  agentStates: AgentStateRepository;
  messages: MessageRepository;
  reports: ReportRepository;
  labels: LabelRepository;
  /** The small resources kept as plain documents (notifications, FAQ, shifts, rooms…). */
  documents<N extends DocumentCollection>(name: N): Documents<DocumentTypes[N]>;
  /**
   * Starts what the store does beside requests in a long-running process (SQLite: the worker that
   * checkpoints its WAL), before the process serves; absent where there is nothing to start.
   */
  startBackground?(): void;
  /** Resolves when the store answers; rejects otherwise. */
  ping(): Promise<void>;
  /** Releases the connection or file handle. */
  close(): Promise<void>;
}

export type StoreOptions =
  | { kind: "sqlite"; path: string }
  | { kind: "mongo"; uri: string; db?: string | undefined };

/** Opens the configured store; adapters load lazily so the unused driver costs nothing. */
export async function openStore(options: StoreOptions): Promise<Store> {
  if (options.kind === "mongo") {
    const { openMongoStore } = await import("./mongo/store.ts");
    return await openMongoStore(options.uri, options.db);
  }
  const { openSqliteStore } = await import("./sqlite/store.ts");
  return openSqliteStore(options.path);
}
