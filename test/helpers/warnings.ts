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
