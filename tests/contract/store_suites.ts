import { organizationRepositoryContract } from "./organization_repository.ts";
import { userRepositoryContract } from "./user_repository.ts";
import { identityRepositoryContract } from "./identity_repository.ts";
import type { StoreKind } from "./store_contract.ts";
import { emailRepositoryContract } from "./email_repository.ts";
import { documentsContract } from "./documents.ts";
import { messageRepositoryContract } from "./message_repository.ts";
import { agentStateRepositoryContract, queryRepositoryContract } from "./query_repository.ts";
import { reportRepositoryContract } from "./report_repository.ts";
import { labelRepositoryContract } from "./label_repository.ts";
import { webhookRepositoryContract } from "./webhook_repository.ts";
import { apiKeyRepositoryContract } from "./api_key_repository.ts";
import { webInboxRepositoryContract } from "./web_inbox_repository.ts";

/** Every repository contract; each capability adds its own here. */
export function storeSuites(kind: StoreKind): void {
  organizationRepositoryContract(kind);
  userRepositoryContract(kind);
  identityRepositoryContract(kind);
  queryRepositoryContract(kind);
  agentStateRepositoryContract(kind);
  documentsContract(kind);
  messageRepositoryContract(kind);
  emailRepositoryContract(kind);
  reportRepositoryContract(kind);
  labelRepositoryContract(kind);
  webhookRepositoryContract(kind);
  apiKeyRepositoryContract(kind);
  webInboxRepositoryContract(kind);
}
