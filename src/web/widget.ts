/// <reference lib="dom" />
/**
 * The embeddable web chat: `<script src="https://API/widget.js" data-website-token="…" async>`.
 * A launcher and a panel in a shadow root; the visitor's token is kept in localStorage so a
 * reload resumes the conversation, and messages arrive over /ws (join-room with sinceSeq).
 */
import {
  type ChatMessage,
  type Conversation,
  type InboxSettings,
  widgetApi,
} from "./widget_api.ts";
import { widgetCss } from "./widget_style.ts";

const script = document.currentScript as HTMLScriptElement | null;
const websiteToken = script?.dataset.websiteToken ?? "";
const apiBase = script ? new URL(script.src).origin : location.origin;
const storeKey = `chatcrm:visitor:${websiteToken}`;
const api = widgetApi(apiBase);

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

const state = {
  contactId: "",
  conversation: null as Conversation | null,
  lastSeq: 0,
  socket: null as WebSocket | null,
  retry: 0,
};

async function boot() {
  if (!websiteToken) return;
  let settings: InboxSettings;
  try {
    settings = await api.settings(websiteToken);
  } catch {
    return; // Not an allowed origin, or an unknown token: the widget shows nothing.
  }
  const host = el("div", { id: "chatcrm-widget" });
  const root = host.attachShadow({ mode: "open" });
  root.append(el("style", {}, widgetCss));
  const launcher = el("button", {
    class: "launcher",
    type: "button",
    "aria-label": `Open chat: ${settings.name}`,
    "aria-expanded": "false",
    "aria-controls": "chatcrm-panel",
  }, "💬");
  const panel = el("section", {
    class: "panel",
    id: "chatcrm-panel",
    role: "dialog",
    "aria-label": settings.name,
    hidden: "",
  });
  const header = el("header");
  const titles = el("div");
  titles.append(el("h2", {}, settings.name));
  const agent = el("div", { class: "agent", "aria-live": "polite" });
  titles.append(agent);
  const close = el("button", { type: "button", "aria-label": "Close chat" }, "×");
  header.append(titles, close);
  const body = el("div", { class: "body" });
  const typing = el("div", { class: "typing", "aria-live": "polite" });
  panel.append(header, body, typing);
  root.append(launcher, panel);
  document.body.append(host);

  const toggle = (open: boolean) => {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    launcher.setAttribute("aria-label", `${open ? "Close" : "Open"} chat: ${settings.name}`);
    // What was shown while the panel was closed is read once it opens.
    if (open && state.conversation?.roomId) markRead(state.conversation.roomId, state.lastSeq);
    if (open) (panel.querySelector("input, textarea") as HTMLElement | null)?.focus();
    else launcher.focus();
  };
  launcher.addEventListener("click", () => toggle(Boolean(panel.hidden)));
  close.addEventListener("click", () => toggle(false));
  panel.addEventListener("keydown", (e) => {
    if (e.key === "Escape") toggle(false);
  });

  // The live region is a wrapper: a role on the list itself would hide its items' list semantics.
  const logRegion = el("div", { role: "log", "aria-live": "polite", "aria-label": "Messages" });
  const log = el("ol", { class: "log" });
  logRegion.append(log);
  const notice = (text: string) => body.append(el("p", { class: "notice" }, text));
  const showAgent = () => {
    agent.textContent = state.conversation?.agentName
      ? `You are chatting with ${state.conversation.agentName}`
      : "";
  };

  // One receipt for what is shown together (a page of history, a batch of frames), not one each.
  let readUpTo = 0;
  let receipt: ReturnType<typeof setTimeout> | undefined;
  function markRead(roomId: string, seq: number) {
    if (seq <= readUpTo) return;
    readUpTo = seq;
    receipt ??= setTimeout(() => {
      receipt = undefined;
      api.read(roomId, readUpTo).catch(() => {});
    }, 0);
  }

  function render(m: ChatMessage) {
    if (m.seq <= state.lastSeq) return;
    state.lastSeq = m.seq;
    const mine = m.senderId === state.contactId;
    const system = m.senderRole === "system";
    const item = el("li", { class: mine ? "mine" : system ? "system" : "theirs" });
    item.append(el("span", { class: "sr-only" }, mine ? "You: " : system ? "" : "Agent: "));
    item.append(document.createTextNode(m.fileId ? `📎 ${m.text || "File"}` : m.text));
    log.append(item);
    body.scrollTop = body.scrollHeight;
    if (!panel.hidden && state.conversation?.roomId) markRead(state.conversation.roomId, m.seq);
    if (!mine && !state.conversation?.agentName) void refresh();
  }

  async function refresh() {
    const list = await api.conversations().catch(() => null);
    const latest = list?.data[0];
    if (!latest || latest.id !== state.conversation?.id) return;
    state.conversation = latest;
    showAgent();
    maybeRate();
  }

  function maybeRate() {
    const c = state.conversation;
    if (!c || c.rated || !["Resolved", "Closed"].includes(c.status)) return;
    if (body.querySelector(".csat")) return;
    const box = el("div", { class: "csat", role: "group", "aria-label": "Rate this conversation" });
    box.append(el("span", {}, "How did we do?"));
    for (let rating = 1; rating <= 5; rating++) {
      const star = el("button", {
        type: "button",
        class: "primary",
        "aria-label": `${rating} of 5`,
      }, String(rating));
      star.addEventListener("click", async () => {
        await api.rate(c.id, rating);
        c.rated = true;
        box.replaceChildren(el("span", {}, "Thank you for your rating!"));
      });
      box.append(star);
    }
    body.append(box);
  }

  function connect() {
    const roomId = state.conversation?.roomId;
    const token = localStorage.getItem(storeKey);
    if (!roomId || !token) return;
    const ws = new WebSocket(
      `${apiBase.replace(/^http/, "ws")}/ws?token=${encodeURIComponent(token)}`,
    );
    state.socket = ws;
    ws.addEventListener("open", () => {
      state.retry = 0;
      ws.send(
        JSON.stringify({
          event: "join-room",
          data: { roomId, sinceSeq: state.lastSeq },
          id: "join",
        }),
      );
    });
    ws.addEventListener("message", (e) => {
      const frame = JSON.parse(String(e.data));
      if (frame.event === "message-received") render(frame.data.message);
      if (frame.event === "user-typing") {
        typing.textContent = frame.data.isTyping ? "The agent is typing…" : "";
      }
      if (frame.event === "query-updated" && frame.data.id === state.conversation?.id) {
        void refresh();
      }
    });
    ws.addEventListener("close", () => {
      state.socket = null;
      state.retry = Math.min(state.retry + 1, 6);
      setTimeout(connect, 500 * 2 ** state.retry);
    });
  }

  function compose() {
    const form = el("form", { class: "compose" });
    const text = el("textarea", { "aria-label": "Your message", name: "message", rows: "1" });
    const file = el("input", { type: "file", "aria-label": "Attach a file", class: "sr-only" });
    const attach = el("button", { type: "button", "aria-label": "Attach a file" }, "📎");
    const send = el("button", { type: "submit", class: "primary" }, "Send");
    attach.addEventListener("click", () => file.click());
    file.addEventListener("change", async () => {
      const chosen = file.files?.[0];
      if (chosen && state.conversation?.roomId) {
        const roomId = state.conversation.roomId;
        try {
          const stored = await api.upload(roomId, chosen);
          state.socket?.send(JSON.stringify({
            event: "send-message",
            data: { roomId, message: chosen.name, type: "file", fileId: stored.id },
            id: crypto.randomUUID(),
          }));
        } catch {
          notice("The file could not be sent");
        }
        file.value = "";
      }
    });
    let typingSent = false;
    text.addEventListener("input", () => {
      const roomId = state.conversation?.roomId;
      const now = text.value.length > 0;
      if (roomId && state.socket?.readyState === WebSocket.OPEN && now !== typingSent) {
        typingSent = now;
        state.socket.send(JSON.stringify({ event: "typing", data: { roomId, isTyping: now } }));
      }
    });
    text.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const message = text.value.trim();
      const roomId = state.conversation?.roomId;
      if (!message || !roomId || state.socket?.readyState !== WebSocket.OPEN) return;
      state.socket.send(
        JSON.stringify({
          event: "send-message",
          data: { roomId, message },
          id: crypto.randomUUID(),
        }),
      );
      text.value = "";
      typingSent = false;
    });
    form.append(attach, file, text, send);
    panel.append(form);
  }

  async function show(conversation: Conversation) {
    state.conversation = conversation;
    body.replaceChildren();
    if (settings.greeting) notice(settings.greeting);
    body.append(logRegion);
    showAgent();
    if (conversation.roomId) {
      const page = await api.messages(conversation.roomId, 0);
      page.data.forEach(render);
    }
    compose();
    maybeRate();
    connect();
  }

  function preChat(stored: string | null) {
    body.replaceChildren();
    if (settings.greeting) notice(settings.greeting);
    if (!settings.open && settings.outOfHoursMessage) notice(settings.outOfHoursMessage);
    const form = el("form", { class: "prechat", "aria-label": "Start a conversation" });
    const field = (key: "name" | "email", label: string, type: string) => {
      const mode = settings.preChat[key];
      if (mode === "off" || stored) return;
      const input = el("input", { name: key, type, autocomplete: key });
      if (mode === "required") input.required = true;
      const wrap = el("label", {}, mode === "required" ? `${label} (required)` : label);
      wrap.append(input);
      form.append(wrap);
    };
    field("name", "Your name", "text");
    field("email", "Your email", "email");
    const message = el("textarea", { name: "message", required: "", rows: "3" });
    const wrap = el("label", {}, "How can we help?");
    wrap.append(message);
    form.append(wrap, el("button", { type: "submit", class: "primary" }, "Start chat"));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const data = new FormData(form);
      const input: Record<string, string> = { websiteToken };
      for (const key of ["name", "email"]) {
        const value = String(data.get(key) ?? "").trim();
        if (value) input[key] = value;
      }
      if (stored) input.visitorToken = stored;
      const session = await api.start({ ...input, ...identity() });
      localStorage.setItem(storeKey, session.visitorToken);
      api.setToken(session.visitorToken);
      state.contactId = session.contactId;
      const opened = await api.open(String(data.get("message")).trim());
      await show(opened);
      (panel.querySelector("form.compose textarea") as HTMLElement | null)?.focus();
    });
    body.append(form);
  }

  /** The site's own verified user, when it gives one (`data-identifier`, `data-identifier-hash`). */
  function identity(): Record<string, string> {
    const id = script?.dataset.identifier;
    const hash = script?.dataset.identifierHash;
    return id && hash ? { identifier: id, identifierHash: hash } : {};
  }

  const stored = localStorage.getItem(storeKey);
  if (stored || identity().identifier) {
    try {
      const session = await api.start({
        websiteToken,
        ...(stored ? { visitorToken: stored } : {}),
        ...identity(),
      });
      localStorage.setItem(storeKey, session.visitorToken);
      api.setToken(session.visitorToken);
      state.contactId = session.contactId;
      const latest = (await api.conversations()).data[0];
      if (latest) return void await show(latest);
      return preChat(session.visitorToken);
    } catch {
      localStorage.removeItem(storeKey);
    }
  }
  preChat(null);
}

void boot();
