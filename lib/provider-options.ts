import { Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/**
 * Settings of the custom resource provider that this library adds once to each stack.
 *
 * Every construct of the library in a stack shares one provider. Pass the same options to every construct
 * of the stack, or only to the first one created: a later construct that asks for different settings is an
 * error, because the provider already exists.
 */
export interface ByoasnProviderOptions {
  /**
   * How often the provider asks AWS whether a resource has reached a terminal state.
   *
   * Allowed: 1 second to 5 minutes, and not longer than `totalTimeout`.
   *
   * @default Duration.seconds(10)
   */
  readonly queryInterval?: Duration;

  /**
   * How long one resource operation may wait for AWS before it fails. CloudFormation allows a custom
   * resource at most one hour; the provider needs a few minutes of that for itself.
   *
   * Allowed: 1 minute to 55 minutes.
   *
   * @default Duration.minutes(50)
   */
  readonly totalTimeout?: Duration;

  /**
   * How long the provider's Lambda functions keep their logs.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}
