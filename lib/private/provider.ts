import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CfnResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, IConstruct } from 'constructs';
import { ByoasnProviderOptions } from '../provider-options';
import { NagAcknowledgment, acknowledgeNagRules, findCfnResource } from './nag';

/** Where the build puts the handler bundle (scripts/bundle-handler.mjs); shipped in the npm package. */
export const HANDLER_ASSET_DIR = join(__dirname, '..', '..', 'assets', 'handler');

/** The id of the provider in its stack: namespaced by package so that no other library collides with it. */
export const PROVIDER_ID = 'cdk-ipam-byoasn.ByoasnProvider';

const DEFAULT_QUERY_INTERVAL = Duration.seconds(10);
const DEFAULT_TOTAL_TIMEOUT = Duration.minutes(50);
const DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_MONTH;
/** The onEvent and isComplete functions' timeout: just under the framework functions' 15 minutes. */
const HANDLER_TIMEOUT = Duration.minutes(14);

/** The provider's settings with every default applied. */
interface ResolvedOptions {
  readonly queryIntervalSeconds: number;
  readonly totalTimeoutSeconds: number;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The one custom resource provider of a stack, shared by every construct of this library in it.
 *
 * It is looked up in the construct tree of the stack (never in a module-level map), so that two stacks
 * or two apps in one process each get their own.
 */
export class ByoasnProvider extends Construct {
  /**
   * The stack's provider, created on first use with `options`. A later caller whose explicit options differ
   * from the provider's settings gets an error that names both.
   */
  public static getOrCreate(scope: IConstruct, options: ByoasnProviderOptions = {}): ByoasnProvider {
    const stack = Stack.of(scope);
    const requested = resolveOptions(scope, options);
    const existing = stack.node.tryFindChild(PROVIDER_ID);
    if (existing === undefined) {
      return new ByoasnProvider(stack, requested, scope.node.path);
    }
    if (!(existing instanceof ByoasnProvider)) {
      throw new Error(`${stack.node.path}: the construct id '${PROVIDER_ID}' is reserved for the cdk-ipam-byoasn provider.`);
    }
    existing.checkCompatible(scope, options, requested);
    return existing;
  }

  /** The service token that the library's custom resources point at. */
  public readonly serviceToken: string;

  /**
   * The role of the user handler functions (onEvent and isComplete): both call EC2 and read the stack, so they
   * share one role, and every grant is made once, to it.
   */
  private readonly handlerRole: iam.Role;

  /** Policy statements already granted, by a key of their content, so that 20 constructs add one statement. */
  private readonly granted = new Set<string>();

  private readonly settings: ResolvedOptions;
  private readonly createdBy: string;

  private constructor(stack: Stack, settings: ResolvedOptions, createdBy: string) {
    super(stack, PROVIDER_ID);
    this.settings = settings;
    this.createdBy = createdBy;

    if (!existsSync(join(HANDLER_ASSET_DIR, 'index.js'))) {
      throw new Error(`cdk-ipam-byoasn: the handler bundle is missing at ${HANDLER_ASSET_DIR}. The published package ships it; in a clone of the repository, run 'npm run build' first.`);
    }
    // What the provider adds to a stack, kept to what it needs (README "Benchmarks", fixed footprint): one log
    // group for all five functions (each request's lines carry its RequestId and LogicalResourceId), one role for
    // the two user functions, and one for the framework's isComplete and onTimeout functions.
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: settings.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.handlerRole = lambdaRole(this, 'HandlerRole');
    // One asset serves both functions: the same hash, staged and uploaded once.
    const code = lambda.Code.fromAsset(HANDLER_ASSET_DIR);
    const makeHandler = (id: string, handler: string, description: string) => new lambda.Function(this, id, {
      code,
      handler,
      description,
      role: this.handlerRole,
      runtime: nodejs24(),
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      // The framework's own functions, which call these synchronously, time out at 15 minutes; 14 leaves them
      // time to report. An invocation makes a few EC2 calls, but the SDK's retries of throttling and dropped
      // connections, with backoff, can take minutes: the handler bounds its calls with a deadline taken from the
      // context's remaining time, so a long run of retries ends in the handler's own error, not a Lambda timeout.
      timeout: HANDLER_TIMEOUT,
      logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'cdk-ipam-byoasn',
      },
    });
    const onEvent = makeHandler('OnEvent', 'index.onEvent', 'cdk-ipam-byoasn: starts provisioning, association and their removal');
    const isComplete = makeHandler('IsComplete', 'index.isComplete', 'cdk-ipam-byoasn: asks EC2 whether an operation has finished');
    // The handler reads the stack's status to tell a rollback from a forward update (DESIGN §6): only this stack.
    this.grant(['cloudformation:DescribeStacks'], [Stack.of(this).stackId]);

    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: onEvent,
      isCompleteHandler: isComplete,
      queryInterval: Duration.seconds(settings.queryIntervalSeconds),
      totalTimeout: Duration.seconds(settings.totalTimeoutSeconds),
      logGroup,
      // The framework's isComplete and onTimeout functions share a role, as the framework allows; its onEvent
      // function keeps a role of its own (it may start the state machine, which invokes the other two).
      frameworkCompleteAndTimeoutRole: lambdaRole(this, 'FrameworkCompleteAndTimeoutRole'),
      // The waiter's steps are in the functions' log group already. Stated, because aws-cdk-lib before 2.183.0
      // logged the state machine by default, to a log group of its own.
      disableWaiterStateMachineLogging: true,
    });
    this.serviceToken = provider.serviceToken;
    acknowledgeNagFindings(this, provider, [onEvent, isComplete]);
  }

  /**
   * Allows the handler functions to call `actions` on `resources`. Called by each construct for exactly the
   * actions its resource type uses; an identical grant is added once.
   */
  public grant(actions: string[], resources: string[]): void {
    const key = JSON.stringify([[...actions].sort(), [...resources].sort()].map((list) => list.map((s) => Stack.of(this).resolve(s))));
    if (this.granted.has(key)) {
      return;
    }
    this.granted.add(key);
    this.handlerRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources }));
  }

  private checkCompatible(scope: IConstruct, options: ByoasnProviderOptions, requested: ResolvedOptions): void {
    const conflicts: string[] = [];
    if (options.queryInterval !== undefined && requested.queryIntervalSeconds !== this.settings.queryIntervalSeconds) {
      conflicts.push(`queryInterval ${requested.queryIntervalSeconds} s (the provider has ${this.settings.queryIntervalSeconds} s)`);
    }
    if (options.totalTimeout !== undefined && requested.totalTimeoutSeconds !== this.settings.totalTimeoutSeconds) {
      conflicts.push(`totalTimeout ${requested.totalTimeoutSeconds} s (the provider has ${this.settings.totalTimeoutSeconds} s)`);
    }
    if (options.logRetention !== undefined && requested.logRetention !== this.settings.logRetention) {
      conflicts.push(`logRetention ${requested.logRetention} days (the provider has ${this.settings.logRetention} days)`);
    }
    if (conflicts.length > 0) {
      throw new Error(`${scope.node.path}: providerOptions asks for ${conflicts.join(' and ')}, but this stack's cdk-ipam-byoasn provider was already created by ${this.createdBy}. One provider serves the whole stack: pass the same providerOptions to every construct of the stack, or only to the first one.`);
    }
  }
}

/**
 * The Node.js 24 runtime the bundle is built for. aws-cdk-lib names it `Runtime.NODEJS_24_X` only from 2.224.0
 * on; on an older aws-cdk-lib of the peer range, the same runtime is described by hand (the name is all that
 * reaches the template).
 */
export function nodejs24(): lambda.Runtime {
  const named = (lambda.Runtime as { readonly NODEJS_24_X?: lambda.Runtime }).NODEJS_24_X;
  return named ?? new lambda.Runtime('nodejs24.x', lambda.RuntimeFamily.NODEJS, { supportsInlineCode: true });
}

/** cdk-nag's IAM4 finding for the managed policy of the roles that `lambdaRole` (and the framework) make. */
const BASIC_EXECUTION_FINDING = 'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';

/** cdk-nag's IAM5 finding for `lambda:InvokeFunction` on every version and alias of `fn` (`<arn>:*`). */
function invokeFinding(fn: lambda.IFunction): string {
  return `Resource::<${Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnResource)}.Arn>:*`;
}

/**
 * Acknowledges, on the one resource each, the cdk-nag AwsSolutions findings on what the provider creates and its
 * users cannot change, so that their nag report shows only their own resources (test/build/nag.test.ts keeps it so).
 * Without a cdk-nag import: lib/private/nag.ts writes the metadata that cdk-nag reads. A part that another
 * aws-cdk-lib version builds differently is skipped, and cdk-nag reports it.
 */
function acknowledgeNagFindings(scope: Construct, provider: cr.Provider, handlers: lambda.IFunction[]): void {
  const acknowledge = (path: string[], rules: NagAcknowledgment[]) => {
    const resource = findCfnResource(scope, ...path);
    if (resource !== undefined) {
      acknowledgeNagRules(resource, rules);
    }
  };
  const basicExecution: NagAcknowledgment = {
    id: 'AwsSolutions-IAM4',
    findings: [BASIC_EXECUTION_FINDING],
    reason: 'AWSLambdaBasicExecutionRole is the policy that lambda.Function and the Provider framework give a function '
      + 'by default: it allows only logs:CreateLogGroup, logs:CreateLogStream and logs:PutLogEvents, which the '
      + 'function needs to write its logs (to the provider\'s log group).',
  };
  acknowledge(['HandlerRole'], [basicExecution]);
  acknowledge(['HandlerRole', 'DefaultPolicy'], [{
    id: 'AwsSolutions-IAM5',
    findings: ['Resource::*'],
    reason: 'The statements on "*" hold the EC2 actions that have no resource type in the Service Authorization '
      + 'Reference (the Describe calls, and those that provision, advertise or associate BYOIP CIDRs), for which "*" '
      + 'is the narrowest resource IAM accepts; each construct grants only the actions of its own resource type, and '
      + 'provisioning an ASN is scoped to its IPAM\'s ARN.',
  }]);

  const invokeReason = (who: string, what: string) => `The Provider framework of aws-cdk-lib lets ${who} invoke ${what}: `
    + 'it grants lambda:InvokeFunction on each function\'s ARN and on that ARN followed by ":*" (the versions and '
    + 'aliases of that one function), as grantInvoke does.';
  const handlerInvoke: NagAcknowledgment = {
    id: 'AwsSolutions-IAM5',
    findings: handlers.map(invokeFinding),
    reason: invokeReason('its own functions', 'the onEvent and isComplete functions of this provider'),
  };
  acknowledge(['FrameworkCompleteAndTimeoutRole'], [basicExecution]);
  acknowledge(['FrameworkCompleteAndTimeoutRole', 'DefaultPolicy'], [handlerInvoke]);
  acknowledge(['Provider', 'framework-onEvent', 'ServiceRole'], [basicExecution]);
  acknowledge(['Provider', 'framework-onEvent', 'ServiceRole', 'DefaultPolicy'], [handlerInvoke]);

  const frameworkRuntime: NagAcknowledgment = {
    id: 'AwsSolutions-L1',
    reason: 'A function of the Provider framework of aws-cdk-lib, which sets its runtime and offers no option to change '
      + 'it; it moves to a newer runtime with aws-cdk-lib. The library\'s own functions (OnEvent, IsComplete) use the '
      + 'latest Node.js runtime.',
  };
  for (const id of ['framework-onEvent', 'framework-isComplete', 'framework-onTimeout']) {
    acknowledge(['Provider', id], [frameworkRuntime]);
  }

  const waited = ['framework-isComplete', 'framework-onTimeout'].map((id) => provider.node.tryFindChild(id) as lambda.IFunction | undefined);
  if (waited.every((fn) => fn !== undefined)) {
    acknowledge(['Provider', 'waiter-state-machine', 'Role', 'DefaultPolicy'], [{
      id: 'AwsSolutions-IAM5',
      findings: waited.map((fn) => invokeFinding(fn!)),
      reason: invokeReason('its waiter state machine', 'the framework\'s isComplete and onTimeout functions'),
    }]);
  }
  acknowledge(['Provider', 'waiter-state-machine'], [
    {
      id: 'AwsSolutions-SF1',
      reason: 'The Provider framework\'s waiter state machine only waits queryInterval and calls isComplete, until done '
        + 'or timed out. The functions it calls log every poll to the provider\'s log group (with retention), and Step '
        + 'Functions keeps each execution\'s history; logging ALL of its events would log the same polling twice.',
    },
    {
      id: 'AwsSolutions-SF2',
      reason: 'The Provider framework of aws-cdk-lib offers no tracing option for its waiter state machine, which only '
        + 'waits and invokes isComplete; the functions log each EC2 call with its request id, and Step Functions keeps '
        + 'each execution\'s history.',
    },
  ]);
}

/** A role for Lambda functions, as `lambda.Function` creates by default (basic execution: logs only). */
function lambdaRole(scope: Construct, id: string): iam.Role {
  return new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
  });
}

function resolveOptions(scope: IConstruct, options: ByoasnProviderOptions): ResolvedOptions {
  const queryIntervalSeconds = (options.queryInterval ?? DEFAULT_QUERY_INTERVAL).toSeconds();
  const totalTimeoutSeconds = (options.totalTimeout ?? DEFAULT_TOTAL_TIMEOUT).toSeconds();
  const where = `${scope.node.path}: providerOptions`;
  if (totalTimeoutSeconds < 60 || totalTimeoutSeconds > 55 * 60) {
    throw new Error(`${where}.totalTimeout is ${totalTimeoutSeconds} s; allowed: 1 to 55 minutes (60-3300 s). CloudFormation waits at most one hour for a custom resource.`);
  }
  if (queryIntervalSeconds < 1 || queryIntervalSeconds > 300) {
    throw new Error(`${where}.queryInterval is ${queryIntervalSeconds} s; allowed: 1 second to 5 minutes (1-300 s).`);
  }
  if (queryIntervalSeconds > totalTimeoutSeconds) {
    throw new Error(`${where}.queryInterval (${queryIntervalSeconds} s) is longer than totalTimeout (${totalTimeoutSeconds} s); it must not be.`);
  }
  return { queryIntervalSeconds, totalTimeoutSeconds, logRetention: options.logRetention ?? DEFAULT_LOG_RETENTION };
}
