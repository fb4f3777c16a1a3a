import type { Deps } from "@/deps.ts";
import { type AuditService, createAuditService } from "@/modules/audit/service.ts";
import { createEvents, type Events } from "@/events.ts";
import { checkSlas, type SlaRun } from "@/jobs/sla.ts";
import { type AccessService, createAccessService } from "@/modules/access/service.ts";
import { type AccountService, createAccountService } from "@/modules/auth/account.ts";
import { createSessionService, type SessionService } from "@/modules/auth/service.ts";
import { createTokenService, type TokenService } from "@/modules/auth/tokens.ts";
import { type AttachmentService, createAttachmentService } from "@/modules/chat/attachments.ts";
import { type ChatService, createChatService } from "@/modules/chat/service.ts";
import { queryTimeline } from "@/modules/chat/timeline.ts";
import { createEmailService, type EmailService } from "@/modules/email/service.ts";
import { emailContactRecords } from "@/modules/email/contact_records.ts";
import { chatContactRecords } from "@/modules/chat/contact_records.ts";
import { type ContactService, createContactService } from "@/modules/contacts/service.ts";
import {
  createCustomFieldService,
  type CustomFieldService,
} from "@/modules/custom_fields/service.ts";
import { notificationContactRecords } from "@/modules/notifications/contact_records.ts";
import { queriesOfCustomer, queryContactRecords } from "@/modules/queries/contact_records.ts";
import { callContactRecords } from "@/realtime/call_records.ts";
import { createFaqService, type FaqService } from "@/modules/faq/service.ts";
import { createLabelService, type LabelService } from "@/modules/labels/service.ts";
import { createMacroService, type MacroService } from "@/modules/macros/service.ts";
import { createTeamService, type TeamService } from "@/modules/teams/service.ts";
import { pushTeamChanges } from "@/modules/teams/listeners.ts";
import { createSearchService, type SearchService } from "@/modules/search/service.ts";
import {
  type BusinessHoursService,
  createBusinessHoursService,
  replyOutOfHours,
} from "@/modules/business_hours/service.ts";
import { notifyMentions, notifyQueryChanges } from "@/modules/notifications/listeners.ts";
import {
  createNotificationService,
  type NotificationService,
} from "@/modules/notifications/service.ts";
import {
  createOrganizationService,
  type OrganizationService,
} from "@/modules/organizations/service.ts";
import { trackReplies } from "@/modules/queries/listeners.ts";
import { createQueryService, type QueryService } from "@/modules/queries/service.ts";
import {
  createSupportSettingsService,
  type SupportSettingsService,
} from "@/modules/queries/settings.ts";
import { createReportService, type ReportService } from "@/modules/reports/service.ts";
import { createRoutingService, type RoutingService } from "@/modules/routing/service.ts";
import { createShiftService, type ShiftService } from "@/modules/shifts/service.ts";
import { createStaffService, type StaffService } from "@/modules/staff/service.ts";
import { type CallService, createCallService } from "@/realtime/calls.ts";
import { createHub, type Hub } from "@/realtime/hub.ts";
import { endingSockets } from "@/modules/auth/socket_sessions.ts";
import { recordBotMessages } from "@/modules/api_keys/bot_records.ts";
import { watchedBus, watchedStore } from "@/modules/metrics/failures.ts";
import { createPresenceService, type PresenceService } from "@/realtime/presence.ts";
import { createWebhookService, type WebhookService } from "@/modules/webhooks/service.ts";
import { eventNames } from "@/events.ts";
import { createMetrics, type Metrics } from "@/modules/metrics/registry.ts";
import { type ApiKeyService, createApiKeyService } from "@/modules/api_keys/service.ts";
import { createWebInboxService, type WebInboxService } from "@/modules/widget/inboxes.ts";
import { createVisitorService, type VisitorService } from "@/modules/widget/visitors.ts";

/** Every service of one process. The API, the jobs, `deno task worker` and the CLI share it. */
export interface Services {
  /** The domain events every listener below subscribes to. */
  events: Events;
  tokens: TokenService;
  access: AccessService;
  sessions: SessionService;
  accounts: AccountService;
  /** Reading the audit log (every service writes to it with `audit()`). */
  audit: AuditService;
  organizations: OrganizationService;
  staff: StaffService;
  notifications: NotificationService;
  routing: RoutingService;
  queries: QueryService;
  shifts: ShiftService;
  faq: FaqService;
  labels: LabelService;
  macros: MacroService;
  teams: TeamService;
  businessHours: BusinessHoursService;
  search: SearchService;
  supportSettings: SupportSettingsService;
  chat: ChatService;
  attachments: AttachmentService;
  calls: CallService;
  presence: PresenceService;
  hub: Hub;
  email: EmailService;
  reports: ReportService;
  customFields: CustomFieldService;
  contacts: ContactService;
  webhooks: WebhookService;
  apiKeys: ApiKeyService;
  webInboxes: WebInboxService;
  /** Website visitors of the web inboxes, and their tokens. */
  visitors: VisitorService;
  /** Prometheus instruments of this process (served at /metrics when METRICS_TOKEN is set). */
  metrics: Metrics;
  /** The SLA check, as its cron job runs it. */
  sla(): Promise<SlaRun>;
}

/**
 * The composition root: builds every service once, subscribes every listener once, and starts
 * what listens on the bus. Nothing else constructs a service.
 */
export async function buildServices(given: Deps): Promise<Services> {
  const metrics = createMetrics();
  // Where metrics are served, every service's store and bus calls count their failures.
  const deps: Deps = given.config.metricsToken
    ? {
      ...given,
      store: watchedStore(given.store, (r) => metrics.storeError(r)),
      bus: watchedBus(given.bus, (o) => metrics.busError(o)),
    }
    : given;
  const events = createEvents(deps);
  const withEvents = { ...deps, events };

  const tokens = createTokenService(deps);
  await tokens.start();
  const access = createAccessService(deps);
  await access.start();
  // First: user objects show availability as routing keeps it.
  const routing = createRoutingService(withEvents);
  const sessions = createSessionService(deps, { tokens, access, routing });
  const accounts = createAccountService(withEvents, sessions, tokens, routing);
  const organizations = createOrganizationService(withEvents, access);
  const auditLog = createAuditService(deps);
  const staff = createStaffService(withEvents, tokens, routing);

  const notifications = createNotificationService(deps);
  const attachments = createAttachmentService(deps);
  const chat = createChatService(withEvents, attachments);
  const customFields = createCustomFieldService(deps);
  const queries = createQueryService(withEvents, { routing, chat, customFields });
  const shifts = createShiftService(deps, routing);
  const macros = createMacroService(withEvents, { queries, chat, routing });
  const faq = createFaqService(deps);
  const labels = createLabelService(deps);
  const webInboxes = createWebInboxService(deps);
  const teams = createTeamService(withEvents, webInboxes);
  const businessHours = createBusinessHoursService(deps);
  const search = createSearchService(deps, chat);
  const supportSettings = createSupportSettingsService(deps);

  const calls = createCallService(withEvents, attachments);
  const presence = createPresenceService(deps);
  // A socket closes once its session ends or its user is refused (logout, deactivation).
  // Frames are counted only where metrics are served (the hub is the hot path).
  const frames = deps.config.metricsToken ? metrics.frames : undefined;
  // A revoked key's sockets close like those of an ended session, on every instance.
  const apiKeys = createApiKeyService(deps, {
    revoked: (keyId) => tokens.changed(`apikey:${keyId}`),
  });
  const hub = endingSockets(
    createHub(deps, { chat, calls, presence, ...(frames ? { frames } : {}) }),
    tokens,
    deps.log,
    (auth) => apiKeys.stillValid(auth.orgId!, auth.integration!.keyId),
  );
  deps.onShutdown(() => hub.close());

  const contacts = createContactService(withEvents, {
    queries,
    customFields,
    tokens,
    chat,
    audit: auditLog,
    records: [
      queryContactRecords(withEvents, routing),
      chatContactRecords(deps, attachments),
      emailContactRecords(
        deps,
        async (orgId, customerId) =>
          (await queriesOfCustomer(deps, orgId, customerId)).map((q) => q.id),
      ),
      notificationContactRecords(deps),
      callContactRecords(deps),
    ],
  });

  const email = createEmailService(deps, { chat, queries, attachments, contacts });
  deps.onShutdown(() => email.settle());
  const reports = createReportService(deps);
  const visitors = createVisitorService(deps, webInboxes);
  const webhooks = createWebhookService(deps, notifications, {
    onAttempt: (outcome) => metrics.webhookAttempt(outcome),
    // The process that runs the jobs also attempts each new delivery at once.
    attemptAtOnce: deps.config.cronsEnabled,
  });
  await webhooks.start();
  deps.onShutdown(() => webhooks.settle());
  metrics.observe({ openSockets: () => hub.size(), webhookBacklog: () => webhooks.backlog() });

  // Listeners, in the order they run for one event: the room's line before the pushes.
  // This instance's own messages reach its sockets at once, without the bus (which may be down).
  events.on("message.created", ({ data }) => hub.offer(data.message));
  queryTimeline(events, deps, chat);
  notifyQueryChanges(events, deps, notifications);
  notifyMentions(events, deps, notifications);
  replyOutOfHours(events, deps, chat);
  trackReplies(events, queries);
  pushTeamChanges(events, deps);
  recordBotMessages(events, deps);
  events.on("message.created", ({ data }) => email.replyTo(data.message, data.room, data.query));
  // An agent nobody can reach any more stops taking queries; hers go back to the queue when
  // the reconnect grace has passed (the requeue job).
  presence.onOffline((orgId, userId) => routing.unreachable(orgId, userId));
  // Back within the grace, she has her queries and her availability again.
  presence.onOnline((orgId, userId) => routing.reachable(orgId, userId));
  // The webhook outbox: a delivery row per subscribed endpoint, before any attempt (the job's).
  events.on(eventNames, (event) => webhooks.enqueue(event).then(() => {}));
  events.on("message.created", () => metrics.messageStored());

  return {
    events,
    tokens,
    access,
    sessions,
    accounts,
    audit: auditLog,
    organizations,
    staff,
    notifications,
    routing,
    queries,
    shifts,
    faq,
    labels,
    macros,
    teams,
    businessHours,
    search,
    supportSettings,
    chat,
    attachments,
    calls,
    presence,
    hub,
    email,
    reports,
    customFields,
    contacts,
    webhooks,
    apiKeys,
    webInboxes,
    visitors,
    metrics,
    sla: () => checkSlas(withEvents),
  };
}
