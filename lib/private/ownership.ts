import { Stack, Token } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';

/** The id of the claims record in a top-level stack: namespaced by package, like the provider's. */
export const OWNERSHIP_ID = 'cdk-ipam-byoasn.Ownership';

/**
 * An AWS object that a construct of this library creates and deletes, so owns. AWS's BYOASN and BYOIP objects
 * carry no tags: nothing on them says which declaration owns them, hence the synth-time check.
 */
export interface Target {
  /** The construct class that owns such objects, e.g. `IpamByoasn`; targets of different kinds never conflict. */
  readonly kind: string;

  /**
   * The properties that identify the object, by property name and in the order of the message, e.g.
   * `{ ipamId, asn }`. Unresolved tokens compare by their string form: one token (one `CfnIPAM.attrIpamId`) is
   * equal to itself, two different tokens are never equal.
   */
  readonly identity: Readonly<Record<string, string | number>>;

  /** What deleting one declaration does to the object under the other, e.g. `deprovisions the ASN`. */
  readonly onDelete: string;

  /**
   * Another way to refer to the object, appended to "declare it once and reference that construct", e.g. the
   * import method.
   * @default - none
   */
  readonly alternative?: string;
}

/**
 * Records that `owner` owns `target`, and throws when another construct of the same app already owns it.
 *
 * CloudFormation creates independent resources in parallel, so two declarations of one target would both
 * succeed and both own it; deleting either removes it from under the other. The check spans the whole app
 * (every stack of every stage), not just the owner's stack.
 *
 * The claims live in the construct tree, one record per top-level stack that holds an owner, never in module
 * state: two apps in one process are independent. A claim costs one lookup per top-level stack of the app.
 */
export function claimTarget(owner: IConstruct, target: Target): void {
  const key = JSON.stringify([target.kind, ...Object.entries(target.identity).map(([name, value]) => [name, stringForm(value)])]);
  for (const record of OwnershipRecord.allOf(owner.node.root)) {
    const existing = record.owners.get(key);
    if (existing !== undefined) {
      throw new Error(duplicateTargetMessage(owner, existing, target));
    }
  }
  OwnershipRecord.of(owner).owners.set(key, owner);
}

/** The error for a second declaration of `target`: both paths, the identifying values and what to do. */
export function duplicateTargetMessage(owner: IConstruct, existing: IConstruct, target: Target): string {
  const entries = Object.entries(target.identity);
  const values = entries.map(([name, value]) => `${name} ${displayForm(owner, value)}`).join(' and ');
  const verb = entries.length === 1 ? 'is' : 'are';
  const alternative = target.alternative === undefined ? '' : `, or ${target.alternative}`;
  return `${owner.node.path}: ${values} ${verb} already declared by the ${target.kind} at ${existing.node.path}. `
    + `Two declarations of one ${target.kind} would both own it: CloudFormation creates them independently, and deleting either ${target.onDelete} from under the other. `
    + `Declare it once in the app and reference that construct wherever it is needed${alternative}.`;
}

/**
 * The owners of one top-level stack (and of the stacks nested in it), by target key. Kept at the top-level
 * stack, not at the app, so that every construct of the library sits in a stack (aspects often call
 * `Stack.of` on every construct they visit).
 */
class OwnershipRecord extends Construct {
  /** The record of the top-level stack that holds `scope`, created on first use. */
  public static of(scope: IConstruct): OwnershipRecord {
    const host = scope.node.scopes.find((s): s is Stack => Stack.isStack(s)) ?? Stack.of(scope);
    const existing = host.node.tryFindChild(OWNERSHIP_ID);
    if (existing === undefined) {
      return new OwnershipRecord(host, OWNERSHIP_ID);
    }
    if (!(existing instanceof OwnershipRecord)) {
      throw new Error(`${host.node.path}: the construct id '${OWNERSHIP_ID}' is reserved for cdk-ipam-byoasn.`);
    }
    return existing;
  }

  /**
   * The records of the app whose root is `root`. Walks only the constructs above the top-level stacks (the
   * app, its stages and any grouping constructs), never into a stack: a handful of constructs, not thousands.
   */
  public static *allOf(root: IConstruct): Generator<OwnershipRecord> {
    const pending: IConstruct[] = [root];
    while (pending.length > 0) {
      const scope = pending.pop()!;
      if (Stack.isStack(scope)) {
        const record = scope.node.tryFindChild(OWNERSHIP_ID);
        if (record instanceof OwnershipRecord) {
          yield record;
        }
      } else {
        pending.push(...scope.node.children);
      }
    }
  }

  /** Who owns each target claimed in this stack, by target key. */
  public readonly owners = new Map<string, IConstruct>();
}

/**
 * The form in which values are compared: a number token by its string token, like a string token. Not
 * `Tokenization.stringifyNumber`, which wraps a number token in a new lazy value, of a new string, on every call.
 */
function stringForm(value: string | number): string {
  if (typeof value === 'string') {
    return value;
  }
  return Token.isUnresolved(value) ? Token.asString(value) : String(value);
}

/** A value as a message shows it: a literal as written, a token as the CloudFormation it stands for. */
function displayForm(scope: IConstruct, value: string | number): string {
  if (!Token.isUnresolved(value)) {
    return typeof value === 'number' ? String(value) : `'${value}'`;
  }
  try {
    return JSON.stringify(Stack.of(scope).resolve(value));
  } catch {
    return `'${stringForm(value)}'`;
  }
}
