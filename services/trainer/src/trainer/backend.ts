/**
 * The compute backend reported in GetNode and in every job event. No training engine exists in
 * this build yet (they arrive with a later issue), so there is none to report.
 */
export const NO_BACKEND = 'none';
