import type { Bus } from "@/bus/bus.ts";
import { AppError } from "@/errors.ts";
import type { Store } from "@/store/store.ts";

/** Told of each failed call: its bounded label (a repository name, a bus operation). */
type Failed = (label: string) => void;

/** An answer such as a conflict or a missing row is not a failure of the store. */
const unexpected = (err: unknown) => !(err instanceof AppError);

/** `target` with every method's failures (thrown or rejected) told to `failed(label)`. */
function watched<T extends object>(target: T, label: string, failed: Failed): T {
  const wrapped = new WeakMap<(...args: unknown[]) => unknown, unknown>();
  const fail = (err: unknown) => {
    if (unexpected(err)) failed(label);
    throw err;
  };
  return new Proxy(target, {
    get(t, prop) {
      const value: unknown = Reflect.get(t, prop, t);
      if (typeof value !== "function") return value;
      const method = value as (...args: unknown[]) => unknown;
      let fn = wrapped.get(method);
      if (!fn) {
        fn = (...args: unknown[]) => {
          try {
            const out = method.apply(t, args);
            return out instanceof Promise ? out.catch(fail) : out;
          } catch (err) {
            return fail(err);
          }
        };
        wrapped.set(method, fn);
      }
      return fn;
    },
  });
}

/**
 * The store, counting failed calls per repository (`queries`, `messages`, `documents`…): the
 * label takes the store's own property names only.
 */
export function watchedStore(store: Store, failed: Failed): Store {
  const repositories = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(t, prop) {
      const value = Reflect.get(t, prop, t);
      if (typeof prop !== "string") return value;
      if (prop === "documents") {
        return repositories.get(prop) ??
          repositories.set(prop, (name: never) => watched(t.documents(name), "documents", failed))
            .get(prop);
      }
      if (value === null || typeof value !== "object") return value;
      return repositories.get(prop) ??
        repositories.set(prop, watched(value, prop, failed)).get(prop);
    },
  });
}

/** The bus, counting failed publishes and subscriptions (the operation is the label). */
export function watchedBus(bus: Bus, failed: Failed): Bus {
  return {
    kind: bus.kind,
    publish: (channel, payload) =>
      bus.publish(channel, payload).catch((err) => {
        failed("publish");
        throw err;
      }),
    subscribe: (channel, handler) =>
      bus.subscribe(channel, handler).catch((err) => {
        failed("subscribe");
        throw err;
      }),
    ping: () =>
      bus.ping().catch((err) => {
        failed("ping");
        throw err;
      }),
    onRestored: (fn) => bus.onRestored(fn),
    close: () => bus.close(),
  };
}
