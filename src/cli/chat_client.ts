/**
 * A terminal chat client for trying the realtime API without a browser:
 *
 *   deno run -A src/cli/chat_client.ts --url http://localhost:5000 \
 *     --email carl.customer@demo.chatcrm.test --password demo-password --query Q-000001
 *
 * It logs in over REST, opens the socket, joins the query's room (printing what was said
 * before), prints every message, typing and read event, and sends each line typed. With
 * `--protocol batched` it speaks the batched wire mode (subprotocol `chatcrm.batch.v1`): the
 * server's frames may hold several events, one JSON envelope a line.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { batchedProtocol, linesOf } from "@/realtime/wire.ts";
import { CliError, runCli } from "./common.ts";

const Protocol = z.enum(["plain", "batched"]);

/** The server frames this client prints (their data, loosely: each event uses its own part). */
interface Received {
  event: string;
  id?: string;
  error: { code: string; message: string };
  data: {
    message: { seq: number; text: string };
    sender: { id: string; role: string };
    userId: string;
    isTyping: boolean;
    seq: number;
  };
}

async function main() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      url: { type: "string", default: "http://localhost:5000" },
      email: { type: "string" },
      password: { type: "string" },
      query: { type: "string" },
      protocol: { type: "string", default: "plain" },
    },
    strict: true,
  });
  if (!values.email || !values.password || !values.query) {
    throw new CliError(
      "Usage: chat_client.ts --url URL --email E --password P --query Q-000001 " +
        "[--protocol plain|batched]",
    );
  }
  const mode = Protocol.safeParse(values.protocol);
  if (!mode.success) {
    throw new CliError(`Cannot use --protocol "${values.protocol}": expected plain or batched`);
  }
  const batched = mode.data === "batched";
  const base = values.url!.replace(/\/$/, "");
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: values.email, password: values.password }),
  });
  if (login.status !== 200) throw new CliError(`Login failed: ${await login.text()}`);
  const { token, user } = await login.json();
  const auth = { authorization: `Bearer ${token}` };
  const found = await fetch(`${base}/api/v1/queries?q=${encodeURIComponent(values.query)}`, {
    headers: auth,
  });
  const query = (await found.json()).data?.[0];
  if (!query?.roomId) throw new CliError(`No query ${values.query} visible to ${values.email}`);

  const socket = new WebSocket(
    `${base.replace(/^http/, "ws")}/ws?token=${token}`,
    batched ? [batchedProtocol] : [],
  );
  let n = 0;
  const send = (event: string, data: unknown) =>
    socket.send(JSON.stringify({ event, data, id: `c${++n}` }));
  let joined!: () => void;
  let failed!: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    joined = resolve;
    failed = reject;
  });
  socket.onopen = () => {
    if (batched && socket.protocol !== batchedProtocol) {
      failed(new CliError(`The server at ${base} does not speak ${batchedProtocol}`));
      return;
    }
    send("join-room", { roomId: query.roomId, sinceSeq: 0 });
  };
  socket.onmessage = (e) => {
    const text = String(e.data);
    for (const line of batched ? linesOf(text) : [text]) print(JSON.parse(line));
  };
  function print({ event, data, error, id }: Received) {
    if (event === "ack" && id === "c1") joined();
    if (event === "message-received") {
      const who = data.sender.id === user.id
        ? "me"
        : `${data.sender.role} ${data.sender.id.slice(-6)}`;
      console.log(`[${data.message.seq}] ${who}: ${data.message.text}`);
      if (data.sender.id !== user.id) {
        send("mark-read", { roomId: query.roomId, seq: data.message.seq });
      }
    } else if (event === "user-typing") {
      console.log(`… ${data.userId.slice(-6)} is ${data.isTyping ? "typing" : "idle"}`);
    } else if (event === "message-read") {
      console.log(`✓ read up to ${data.seq} by ${data.userId.slice(-6)}`);
    } else if (event === "error") {
      console.error(`error: ${error.code}: ${error.message}`);
    }
  }
  socket.onclose = (e) => {
    console.log(`socket closed (${e.code})`);
    Deno.exit(0);
  };
  await ready;
  console.log(
    `${user.name} in ${query.reference} "${query.title}" (${mode.data} frames); ` +
      "type a line to send it",
  );
  const decoder = new TextDecoderStream();
  let buffered = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(decoder)) {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) {
        send("send-message", {
          roomId: query.roomId,
          message: line,
          clientMessageId: crypto.randomUUID(),
        });
      }
    }
  }
  socket.close();
}

if (import.meta.main) await runCli(main);
