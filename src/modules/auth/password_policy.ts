import type { ZxcvbnFactory } from "@zxcvbn-ts/core";

/**
 * OWASP ASVS (4.0.3 V2.1, level 2): at least 12 characters after runs of spaces are taken as
 * one, up to 128 (so 64 and more are allowed), any character, no composition rules, and no
 * password that is common or found in breaches, judged by zxcvbn with its common dictionaries
 * (lists of the most used and breached passwords, names, keyboard patterns).
 */
export const passwordRules = { minLength: 12, maxLength: 128, minScore: 3 } as const;

let checker: Promise<ZxcvbnFactory> | undefined;

/** zxcvbn with its dictionaries, loaded on the first check (they cost memory and time). */
function strength(): Promise<ZxcvbnFactory> {
  return checker ??= (async () => {
    const [{ ZxcvbnFactory }, common] = await Promise.all([
      import("@zxcvbn-ts/core"),
      import("@zxcvbn-ts/language-common"),
    ]);
    return new ZxcvbnFactory({
      dictionary: { ...common.dictionary },
      graphs: common.adjacencyGraphs,
    });
  })();
}

/** The length ASVS counts: characters (code points), a run of spaces counting as one. */
export function passwordLength(password: string): number {
  return [...password.replace(/ {2,}/g, " ")].length;
}

/** Why a new password is refused, or null when it is acceptable. */
export async function passwordProblem(password: string): Promise<string | null> {
  const { minLength, maxLength, minScore } = passwordRules;
  if ([...password].length > maxLength) return `expected at most ${maxLength} characters`;
  if (passwordLength(password) < minLength) {
    return `expected at least ${minLength} characters (a run of spaces counts as one)`;
  }
  const { score } = await (await strength()).check(password);
  return score < minScore
    ? "too common or too easy to guess: try a few unrelated words, or a longer password"
    : null;
}
