/**
 * Distributed jobs start one process per device; only rank zero should write to a tracker, or every run is
 * logged N times. These are the variables set by torchrun/accelerate (RANK, LOCAL_RANK) and Slurm.
 */
const RANK_VARIABLES = ['RANK', 'LOCAL_RANK', 'SLURM_PROCID'] as const;

/** The first rank variable that is set to something other than 0, or undefined on rank zero. */
export function nonZeroRank(env: NodeJS.ProcessEnv = process.env): { variable: string; value: string } | undefined {
  for (const variable of RANK_VARIABLES) {
    const value = env[variable]?.trim();
    if (value !== undefined && value !== '' && value !== '0') return { variable, value };
  }
  return undefined;
}
