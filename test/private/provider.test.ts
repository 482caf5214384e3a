import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ByoasnCidrAssociation, ByoasnProviderOptions, IpamByoasn } from '../../lib';
import { ByoasnProvider, PROVIDER_ID } from '../../lib/private/provider';
import { ACCOUNT, IPAM_ID, SIGNATURE, asnMessage, newStack } from '../helpers';

function addAsn(stack: Stack, id: string, asn: number, providerOptions?: ByoasnProviderOptions, ipamId = IPAM_ID) {
  return new IpamByoasn(stack, id, {
    ipamId,
    asn,
    authorizationContext: { message: asnMessage(asn), signature: SIGNATURE },
    providerOptions,
  });
}

describe('the provider', () => {
  test('is created once for a stack with 5 ASNs and 20 associations', () => {
    const stack = newStack();
    for (let i = 0; i < 5; i++) {
      const asn = addAsn(stack, `Asn${i}`, 64000 + i, undefined, `ipam-0123456789abcdef${i}`);
      for (let j = 0; j < 4; j++) {
        new ByoasnCidrAssociation(stack, `Assoc${i}x${j}`, { byoasn: asn, cidr: `8.${i}.${j}.0/24` });
      }
    }
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::IpamByoasn', 5);
    template.resourceCountIs('Custom::ByoasnCidrAssociation', 20);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    // onEvent and isComplete, plus the framework's onEvent, isComplete and onTimeout.
    template.resourceCountIs('AWS::Lambda::Function', 5);
    expect(stack.node.findAll().filter((c) => c instanceof ByoasnProvider)).toHaveLength(1);

    // The shared grants are added once, the IPAM-scoped one once per IPAM, to the one role of both handlers.
    const policies = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p).includes('ec2:'));
    expect(policies).toHaveLength(1);
    for (const policy of policies) {
      const statements = policy.Properties.PolicyDocument.Statement as Array<{ Action: string[] }>;
      expect(statements.filter((s) => s.Action.includes('ec2:AssociateIpamByoasn'))).toHaveLength(1);
      expect(statements.filter((s) => s.Action.includes('ec2:DescribeIpamByoasn'))).toHaveLength(1);
      expect(statements.filter((s) => s.Action.includes('ec2:ProvisionIpamByoasn'))).toHaveLength(5);
    }
  });

  test('is created once per stack in a two-stack app', () => {
    const app = new App();
    const one = newStack('One', app);
    const two = newStack('Two', app);
    addAsn(one, 'Asn', 64500);
    addAsn(one, 'Asn2', 64501);
    addAsn(two, 'Asn', 64502);
    for (const stack of [one, two]) {
      Template.fromStack(stack).resourceCountIs('AWS::StepFunctions::StateMachine', 1);
      expect(stack.node.tryFindChild(PROVIDER_ID)).toBeInstanceOf(ByoasnProvider);
    }
    expect(ByoasnProvider.getOrCreate(one)).not.toBe(ByoasnProvider.getOrCreate(two));
  });

  test('runs the bundled handler on the newest Node.js runtime, on arm64, from one asset', () => {
    const stack = newStack();
    addAsn(stack, 'Asn', 64500);
    const template = Template.fromStack(stack);
    const handlers = template.findResources('AWS::Lambda::Function', {
      Properties: { Handler: Match.stringLikeRegexp('^index\\.(onEvent|isComplete)$') },
    });
    expect(Object.values(handlers).map((f) => f.Properties.Handler).sort()).toEqual(['index.isComplete', 'index.onEvent']);
    const codes = new Set(Object.values(handlers).map((f) => JSON.stringify(f.Properties.Code)));
    expect(codes.size).toBe(1);
    for (const fn of Object.values(handlers)) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: expect.any(String) } });
    }
  });

  test("keeps the framework's own logging at FATAL, so its dumps of the event (and the signature) are not logged", () => {
    const stack = newStack();
    addAsn(stack, 'Asn', 64500);
    const framework = Template.fromStack(stack).findResources('AWS::Lambda::Function', {
      Properties: { Handler: Match.stringLikeRegexp('^framework\\.') },
    });
    expect(Object.keys(framework)).toHaveLength(3);
    for (const fn of Object.values(framework)) {
      expect(fn.Properties.LoggingConfig).toEqual(expect.objectContaining({ ApplicationLogLevel: 'FATAL', LogFormat: 'JSON' }));
    }
  });

  test('keeps logs for one month by default, in one log group of its own for all five functions', () => {
    const stack = newStack();
    addAsn(stack, 'Asn', 64500);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 1);
    const [logGroupId] = Object.keys(template.findResources('AWS::Logs::LogGroup'));
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(5);
    for (const fn of functions) {
      expect(fn.Properties.LoggingConfig.LogGroup).toEqual({ Ref: logGroupId });
    }
  });

  test('adds 15 resources to a stack, whatever its number of ASNs and associations', () => {
    const counts = (asns: number) => {
      const stack = newStack();
      for (let i = 0; i < asns; i++) {
        const asn = addAsn(stack, `Asn${i}`, 64500 + i, undefined, `ipam-0123456789abcdef${i}`);
        asn.associateCidr('Cidr', `8.${i}.0.0/24`);
      }
      const resources = Object.values(Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string }>);
      const byType: Record<string, number> = {};
      for (const r of resources.filter((r) => !r.Type.startsWith('Custom::'))) {
        byType[r.Type] = (byType[r.Type] ?? 0) + 1;
      }
      return byType;
    };
    const expected = {
      'AWS::Logs::LogGroup': 1,
      // The handlers' role; the framework's onEvent role; its isComplete and onTimeout role; the state machine's.
      'AWS::IAM::Role': 4,
      'AWS::IAM::Policy': 4,
      'AWS::Lambda::Function': 5,
      'AWS::StepFunctions::StateMachine': 1,
    };
    expect(counts(1)).toEqual(expected);
    expect(counts(3)).toEqual(expected);
  });

  test('gives onEvent and isComplete one role, and the framework\'s isComplete and onTimeout another, without a dependency cycle', () => {
    const stack = newStack();
    addAsn(stack, 'Asn', 64500);
    const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] }> };
    // The logical ids of the roles of the functions with this handler.
    const roleOf = (handler: string) => Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties?.Handler === handler)
      .map((r) => (r.Properties?.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]);
    const [onEventRole] = roleOf('index.onEvent');
    expect(roleOf('index.isComplete')).toEqual([onEventRole]);
    const [frameworkCompleteRole] = roleOf('framework.isComplete');
    expect(roleOf('framework.onTimeout')).toEqual([frameworkCompleteRole]);
    const [frameworkOnEventRole] = roleOf('framework.onEvent');
    expect(new Set([onEventRole, frameworkCompleteRole, frameworkOnEventRole]).size).toBe(3);
    // The handlers' role may do what the handler does, and nothing of the framework's (invoke, start executions).
    const handlerPolicies = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles) === JSON.stringify([{ Ref: onEventRole }]));
    expect(handlerPolicies).toHaveLength(1);
    expect(JSON.stringify(handlerPolicies[0])).not.toMatch(/lambda:|states:/);
    expect(dependencyCycle(template.Resources)).toEqual([]);
  });

  test('applies queryInterval, totalTimeout and logRetention', () => {
    const stack = newStack();
    addAsn(stack, 'Asn', 64500, { queryInterval: Duration.seconds(30), totalTimeout: Duration.minutes(20), logRetention: RetentionDays.ONE_WEEK });
    const template = Template.fromStack(stack);
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 7 }, 1);
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    const definition = JSON.stringify(stack.resolve(machine.Properties.DefinitionString));
    expect(definition).toContain('\\"IntervalSeconds\\":30');
    // 20 minutes of 30-second polls.
    expect(definition).toContain('\\"MaxAttempts\\":40');
  });

  test('defaults to a 10-second interval for 50 minutes', () => {
    const stack = newStack();
    addAsn(stack, 'Asn', 64500);
    const [machine] = Object.values(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine'));
    const definition = JSON.stringify(stack.resolve(machine.Properties.DefinitionString));
    expect(definition).toContain('\\"IntervalSeconds\\":10');
    expect(definition).toContain('\\"MaxAttempts\\":300');
  });

  test('accepts the same options twice, and no options after explicit ones', () => {
    const stack = newStack();
    const options = { queryInterval: Duration.seconds(20) };
    addAsn(stack, 'A', 64500, options);
    addAsn(stack, 'B', 64501, { queryInterval: Duration.seconds(20) });
    addAsn(stack, 'C', 64502);
    Template.fromStack(stack).resourceCountIs('AWS::StepFunctions::StateMachine', 1);
  });

  test('refuses conflicting options in one stack, naming both constructs', () => {
    const stack = newStack();
    addAsn(stack, 'A', 64500, { queryInterval: Duration.seconds(20) });
    expect(() => addAsn(stack, 'B', 64501, { queryInterval: Duration.seconds(30), totalTimeout: Duration.minutes(10) })).toThrow(
      "Stack/B: providerOptions asks for queryInterval 30 s (the provider has 20 s) and totalTimeout 600 s (the provider has 3000 s), but this stack's cdk-ipam-byoasn provider was already created by Stack/A.",
    );
    expect(() => addAsn(stack, 'C', 64502, { logRetention: RetentionDays.ONE_DAY })).toThrow('logRetention 1 days (the provider has 30 days)');
  });

  test.each<[ByoasnProviderOptions, string]>([
    [{ totalTimeout: Duration.minutes(56) }, 'Stack/Asn: providerOptions.totalTimeout is 3360 s; allowed: 1 to 55 minutes (60-3300 s).'],
    [{ totalTimeout: Duration.seconds(59) }, 'providerOptions.totalTimeout is 59 s; allowed: 1 to 55 minutes'],
    [{ queryInterval: Duration.minutes(6) }, 'Stack/Asn: providerOptions.queryInterval is 360 s; allowed: 1 second to 5 minutes (1-300 s).'],
    [{ queryInterval: Duration.seconds(0) }, 'providerOptions.queryInterval is 0 s; allowed: 1 second to 5 minutes'],
    [{ queryInterval: Duration.minutes(3), totalTimeout: Duration.minutes(2) }, 'providerOptions.queryInterval (180 s) is longer than totalTimeout (120 s)'],
  ])('refuses out-of-range options %#', (options, message) => {
    expect(() => addAsn(newStack(), 'Asn', 64500, options)).toThrow(message);
  });

  test('lets both handler functions read this stack, and no other, with DescribeStacks', () => {
    const stack = newStack();
    addAsn(stack, 'Asn', 64500);
    addAsn(stack, 'Asn2', 64501);
    const template = Template.fromStack(stack);
    const statement = { Action: 'cloudformation:DescribeStacks', Effect: 'Allow', Resource: { Ref: 'AWS::StackId' } };
    const policies = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p).includes('ec2:'));
    expect(policies).toHaveLength(1);
    for (const policy of policies) {
      const statements = policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>;
      expect(statements.filter((s) => JSON.stringify(s).includes('cloudformation:'))).toEqual([statement]);
    }
    // No statement anywhere in the stack grants a CloudFormation action on *.
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const s of policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>) {
        if ([s.Action].flat().some((action) => action.startsWith('cloudformation:'))) {
          expect([s.Resource].flat()).not.toContain('*');
        }
      }
    }
  });

  test('gives onEvent and isComplete 14 minutes, under the framework functions\' 15', () => {
    const stack = newStack();
    addAsn(stack, 'Asn', 64500);
    const template = Template.fromStack(stack);
    const timeouts = (pattern: string) => Object.values(template.findResources('AWS::Lambda::Function', {
      Properties: { Handler: Match.stringLikeRegexp(pattern) },
    })).map((f) => f.Properties.Timeout);
    expect(timeouts('^index\\.(onEvent|isComplete)$')).toEqual([840, 840]);
    expect(timeouts('^framework\\.')).toEqual([900, 900, 900]);
  });

  test('hard-codes no partition', () => {
    const stack = newStack();
    addAsn(stack, 'Asn', 64500);
    const template = JSON.stringify(Template.fromStack(stack).toJSON());
    expect(template).not.toMatch(/arn:aws/);
    expect(template).toContain(`:ec2::${ACCOUNT}:ipam/${IPAM_ID}`);
  });
});

/** Logical ids on a cycle of Ref, Fn::GetAtt and DependsOn (CloudFormation refuses such a template); empty if none. */
function dependencyCycle(resources: Record<string, { Properties?: unknown; DependsOn?: string | string[] }>): string[] {
  const edges = new Map<string, Set<string>>();
  for (const [id, resource] of Object.entries(resources)) {
    const found = new Set<string>([resource.DependsOn ?? []].flat());
    const visit = (value: unknown): void => {
      if (Array.isArray(value)) {
        value.forEach(visit);
      } else if (value !== null && typeof value === 'object') {
        const record = value as Record<string, unknown>;
        if (typeof record.Ref === 'string') {
          found.add(record.Ref);
        }
        if (Array.isArray(record['Fn::GetAtt'])) {
          found.add(String(record['Fn::GetAtt'][0]));
        }
        Object.values(record).forEach(visit);
      }
    };
    visit(resource.Properties);
    edges.set(id, new Set([...found].filter((d) => d in resources)));
  }
  // Kahn's algorithm: what cannot be ordered is on (or behind) a cycle.
  const remaining = new Map(edges);
  let progressed = true;
  while (progressed) {
    progressed = false;
    for (const [id, deps] of remaining) {
      if ([...deps].every((d) => !remaining.has(d))) {
        remaining.delete(id);
        progressed = true;
      }
    }
  }
  return [...remaining.keys()];
}
