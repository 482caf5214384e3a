/**
 * EC2 query-protocol plumbing for the emulator: request parameters, XML rendering and the error type that
 * the request pipeline turns into an `<Response><Errors>` document.
 *
 * Element names follow the `xmlName` traits of @aws-sdk/client-ec2 3.1169.0 (checked in its schemas, e.g.
 * `Byoasn$`, `AsnAssociation$`, `ByoipCidr$`); the SDK silently drops any element it does not know.
 */

/** The EC2 API version the emulator speaks. */
export const EC2_API_VERSION = '2016-11-15';
const EC2_XMLNS = `http://ec2.amazonaws.com/doc/${EC2_API_VERSION}/`;

/** An API error answered as an EC2 `<Response><Errors>` document. */
export class Ec2ApiError extends Error {
  /**
   * @param code the EC2 error code; the SDK uses it as the thrown error's `name`
   * @param message the human-readable message
   * @param status HTTP status (400 for client errors)
   */
  constructor(
    public readonly code: string,
    message: string,
    public readonly status: number = 400,
  ) {
    super(message);
    this.name = 'Ec2ApiError';
  }
}

/** Escapes text for use inside an XML element or attribute. */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => {
    switch (c) {
      case '&': return '&amp;';
      case '<': return '&lt;';
      case '>': return '&gt;';
      case '"': return '&quot;';
      default: return '&apos;';
    }
  });
}

/** A text element; omitted entirely when the value is undefined (EC2 leaves out unset members). */
export function textElement(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : `<${name}>${xmlEscape(String(value))}</${name}>`;
}

/** A list as EC2 writes it: `<nameSet><item>…</item></nameSet>`, each item already rendered. */
export function listElement(name: string, items: readonly string[]): string {
  return `<${name}>${items.map((i) => `<item>${i}</item>`).join('')}</${name}>`;
}

/** A successful `<ActionResponse>` document around already rendered members. */
export function successDocument(action: string, requestId: string, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_XMLNS}">`
    + `${textElement('requestId', requestId)}${body}</${action}Response>`;
}

/** An EC2 error document. */
export function errorDocument(code: string, message: string, requestId: string): string {
  return '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
    + `${textElement('Code', code)}${textElement('Message', message)}`
    + `</Error></Errors>${textElement('RequestID', requestId)}</Response>`;
}

/** The CloudFormation API version (query protocol); a request whose `Version` is this is a CloudFormation request. */
export const CLOUDFORMATION_API_VERSION = '2010-05-15';
const CLOUDFORMATION_XMLNS = `http://cloudformation.amazonaws.com/doc/${CLOUDFORMATION_API_VERSION}/`;

/** A list as the awsQuery protocol writes it: `<Name><member>…</member></Name>`, each member already rendered. */
export function memberListElement(name: string, members: readonly string[]): string {
  return `<${name}>${members.map((m) => `<member>${m}</member>`).join('')}</${name}>`;
}

/**
 * A successful CloudFormation (awsQuery) document: `<ActionResponse><ActionResult>…</ActionResult>` and the
 * request id in `ResponseMetadata`. The SDK reads the output members from inside `<ActionResult>`.
 */
export function cloudFormationSuccessDocument(action: string, requestId: string, result: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${CLOUDFORMATION_XMLNS}">`
    + `<${action}Result>${result}</${action}Result>`
    + `<ResponseMetadata>${textElement('RequestId', requestId)}</ResponseMetadata></${action}Response>`;
}

/**
 * A CloudFormation (awsQuery) error document. The SDK takes `Error/Code` as the thrown error's `name`;
 * `Type` is `Sender` for client errors and `Receiver` for server errors.
 */
export function cloudFormationErrorDocument(code: string, message: string, requestId: string, status: number): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${CLOUDFORMATION_XMLNS}"><Error>`
    + `${textElement('Type', status >= 500 ? 'Receiver' : 'Sender')}${textElement('Code', code)}${textElement('Message', message)}`
    + `</Error>${textElement('RequestId', requestId)}</ErrorResponse>`;
}

/** Read access to a request's flattened query parameters (`AsnAuthorizationContext.Message`, ...). */
export class QueryParams {
  constructor(private readonly values: Readonly<Record<string, string>>) {}

  /** The raw value, or undefined when absent. */
  optional(name: string): string | undefined {
    return Object.prototype.hasOwnProperty.call(this.values, name) ? this.values[name] : undefined;
  }

  /** The value; `MissingParameter` when absent or empty. */
  required(name: string): string {
    const value = this.optional(name);
    if (value === undefined || value === '') {
      throw new Ec2ApiError('MissingParameter', `The request must contain the parameter ${name}`);
    }
    return value;
  }

  /** A boolean flag (`true`/`false`); `InvalidParameterValue` for anything else. */
  flag(name: string, fallback: boolean): boolean {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    if (value === 'true') return true;
    if (value === 'false') return false;
    throw new Ec2ApiError('InvalidParameterValue', `Value (${value}) for parameter ${name} is invalid. Expected a boolean.`);
  }

  /** An integer within [min, max]; `InvalidParameterValue` otherwise. */
  integer(name: string, min: number, max: number, required: boolean): number | undefined {
    const value = required ? this.required(name) : this.optional(name);
    if (value === undefined) return undefined;
    const n = /^-?\d{1,12}$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new Ec2ApiError(
        'InvalidParameterValue',
        `Value (${value}) for parameter ${name} is invalid. Expected an integer between ${min} and ${max}.`,
      );
    }
    return n;
  }

  /** A plain copy, for the call log. */
  toRecord(): Record<string, string> {
    return { ...this.values };
  }
}

/** Parses a form-encoded body (and any query string) into parameters; later keys win, as in URLSearchParams. */
export function parseQueryParams(body: string, search: string): QueryParams {
  const values: Record<string, string> = {};
  for (const source of [search, body]) {
    for (const [k, v] of new URLSearchParams(source)) values[k] = v;
  }
  return new QueryParams(values);
}
