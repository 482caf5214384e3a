/**
 * The handler's one CloudFormation call: the status of its own stack. AWS's BYOASN and BYOIP objects carry no
 * tags, so the event alone cannot tell a forward Update from the rollback of one; the stack's status can.
 */
import { CloudFormationClient, CloudFormationClientConfig, DescribeStacksCommand, DescribeStacksCommandInput, DescribeStacksCommandOutput } from '@aws-sdk/client-cloudformation';
import type { Logger } from '@aws-lambda-powertools/logger';
import { EC2_RETRY_SETTINGS, HTTP_TIMEOUTS, errorName } from './ec2';

/**
 * The CloudFormation call the handler makes. The provider's roles allow `cloudformation:DescribeStacks` on the
 * stack's own ARN only.
 */
export interface CloudFormationApi {
  /** Describes one stack. */
  describeStacks(input: DescribeStacksCommandInput): Promise<DescribeStacksCommandOutput>;
}

/** Creates the client (the same retries and time limits as the EC2 client). `AWS_ENDPOINT_URL_CLOUDFORMATION` is honoured. */
export function createCloudFormationClient(overrides: CloudFormationClientConfig = {}): CloudFormationClient {
  return new CloudFormationClient({ ...EC2_RETRY_SETTINGS, requestHandler: { ...HTTP_TIMEOUTS }, ...overrides });
}

/** Wraps the client, logging the call and its outcome. */
export function cloudFormationApi(client: CloudFormationClient, logger: Logger, abortSignal?: AbortSignal): CloudFormationApi {
  return {
    async describeStacks(input) {
      try {
        const output = await client.send(new DescribeStacksCommand(input), { abortSignal });
        logger.info('CloudFormation DescribeStacks succeeded', { action: 'DescribeStacks', outcome: 'success', status: output.Stacks?.[0]?.StackStatus });
        return output;
      } catch (error) {
        logger.warn('CloudFormation DescribeStacks failed', { action: 'DescribeStacks', outcome: 'error', errorName: errorName(error), errorMessage: error instanceof Error ? error.message : String(error) });
        throw error;
      }
    },
  };
}

/** The status in which an Update may take back a target that still exists: CloudFormation rolls an update back. */
export const UPDATE_ROLLBACK_IN_PROGRESS = 'UPDATE_ROLLBACK_IN_PROGRESS';

/** The statuses in which CloudFormation rolls back: a Delete that finds nothing then re-reads for a while. */
export const ROLLBACK_STATUSES: ReadonlySet<string> = new Set([
  'ROLLBACK_IN_PROGRESS',
  UPDATE_ROLLBACK_IN_PROGRESS,
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
]);

/**
 * The status of the stack `stackId` (the event's StackId). Throws when it cannot be read: callers never assume
 * a rollback.
 */
export async function readStackStatus(cfn: CloudFormationApi, stackId: string): Promise<string> {
  const output = await cfn.describeStacks({ StackName: stackId });
  const status = output.Stacks?.find((stack) => stack.StackId === stackId || output.Stacks?.length === 1)?.StackStatus;
  if (status === undefined) {
    throw new Error(`DescribeStacks did not return the status of ${stackId}.`);
  }
  return status;
}
