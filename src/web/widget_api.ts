/// <reference lib="dom" />
/** The API calls the widget makes, from the site's page to the API's origin. */

export interface InboxSettings {
  id: string;
  name: string;
  greeting: string | null;
  outOfHoursMessage: string | null;
  /** Whether the desk is open now: out of hours the widget shows the out-of-hours message. */
  open: boolean;
  preChat: { name: "off" | "optional" | "required"; email: "off" | "optional" | "required" };
}

export interface Session {
  visitorToken: string;
  contactId: string;
  name: string;
  resumed: boolean;
  inbox: InboxSettings;
}

export interface Conversation {
  id: string;
  reference: string;
  status: string;
  roomId: string | null;
  agentName: string | null;
  rated: boolean;
}

export interface ChatMessage {
  id: string;
  seq: number;
  senderId: string;
  senderRole: string;
  type: string;
  text: string;
  fileId: string | null;
}

/** A small client over fetch: JSON in and out, the visitor token as a Bearer header. */
export function widgetApi(base: string) {
  let token: string | null = null;
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: BodyInit | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers["content-type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers,
      ...(payload === undefined ? {} : { body: payload }),
    });
    const text = await res.text();
    if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}`), { status: res.status, text });
    return (text ? JSON.parse(text) : null) as T;
  }
  return {
    setToken(value: string | null) {
      token = value;
    },
    settings: (websiteToken: string) =>
      call<InboxSettings>(
        "GET",
        `/widget/settings?websiteToken=${encodeURIComponent(websiteToken)}`,
      ),
    start: (body: Record<string, string>) => call<Session>("POST", "/widget/sessions", body),
    conversations: () => call<{ data: Conversation[] }>("GET", "/widget/conversations?limit=1"),
    open: (message: string) => call<Conversation>("POST", "/widget/conversations", { message }),
    messages: (roomId: string, afterSeq: number) =>
      call<{ data: ChatMessage[] }>(
        "GET",
        `/chat/rooms/${roomId}/messages?afterSeq=${afterSeq}&limit=100`,
      ),
    read: (roomId: string, seq: number) => call("PUT", `/chat/rooms/${roomId}/read`, { seq }),
    upload: (roomId: string, file: File) => {
      const form = new FormData();
      form.set("file", file);
      return call<{ id: string }>("POST", `/chat/rooms/${roomId}/files`, form);
    },
    rate: (queryId: string, rating: number) => call("POST", `/queries/${queryId}/csat`, { rating }),
  };
}
export type WidgetApi = ReturnType<typeof widgetApi>;
