/** The GymnosWarnings a test's code emits (process.emitWarning), collected until `stop`. */
export interface CapturedWarning {
  code: string;
  message: string;
}

export function captureWarnings(): { warnings: CapturedWarning[]; stop: () => void } {
  const warnings: CapturedWarning[] = [];
  const listener = (warning: Error & { code?: string }) => {
    if (warning.name === 'GymnosWarning') warnings.push({ code: warning.code ?? '', message: warning.message });
  };
  process.on('warning', listener);
  return { warnings, stop: () => process.off('warning', listener) };
}

/** Warnings reach their listeners on the next tick. */
export const warningsDelivered = () => new Promise((resolve) => setImmediate(resolve));

/** The first warning of `code` captured, waited for up to `timeoutMs` (undefined if none came by then). */
export async function warningOf(
  warnings: readonly CapturedWarning[],
  code: string,
  timeoutMs = 30_000,
): Promise<CapturedWarning | undefined> {
  const found = () => warnings.find((warning) => warning.code === code);
  for (const deadline = Date.now() + timeoutMs; !found() && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return found();
}
