/**
 * One line of the doctor's checklist.
 */

/** The outcome of one check. */
export enum DoctorCheckStatus {
  /** The check found nothing wrong. */
  PASSED = 'passed',
  /** Not an error, but worth acting on (e.g. the certificate expires before the message). */
  WARNED = 'warned',
  /** AWS would refuse the provisioning for this reason. */
  FAILED = 'failed',
  /** The check could not run (a service did not answer, or an input is missing); `fix` says why. */
  NOT_CHECKED = 'not-checked',
}

/**
 * One check of `AuthorizationDoctor`: what was checked, its outcome and, unless it passed, what to do.
 */
export interface DoctorCheck {
  /** The part of the preparation checked: `Certificate`, `Message for AS64496`, `RDAP record`, `ROA`. */
  readonly section: string;

  /** The outcome. */
  readonly status: DoctorCheckStatus;

  /** What was checked and what was found, in one sentence, e.g. `AS64496: the certificate in ARIN record AS64496 has the same key`. */
  readonly summary: string;

  /**
   * What to do about a failed or warned check, or why a check was not run and how to run it.
   * @default - none (the check passed)
   */
  readonly fix?: string;

  /**
   * The service asked for this check (an RDAP or RPKI URL).
   * @default - none (a check without network)
   */
  readonly service?: string;
}
