// The TypeScript snippets of README.md and docs/*.md, as a user pastes them: each file's snippets that build
// constructs (they use `this`) become one stack, in order (a later snippet may use what an earlier one
// declared); a snippet that does not is a script of its own. Every one must type-check against the library;
// every stack must also synthesize, with no error and no warning but the documentation-value ones that the
// placeholders (documentation ASNs and prefixes) cause.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ts from 'typescript';

const ROOT = join(__dirname, '..', '..');
const WORK = join(ROOT, 'test', '.snippets');
const DOCUMENTS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

interface Snippet {
  readonly document: string;
  readonly line: number;
  readonly code: string;
}

function snippetsOf(document: string): Snippet[] {
  const lines = readFileSync(join(ROOT, document), 'utf8').split('\n');
  const found: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '```ts' || lines[i].trim() === '```typescript') {
      const start = i + 1;
      let end = start;
      while (end < lines.length && lines[end].trim() !== '```') end++;
      found.push({ document, line: start + 1, code: lines.slice(start, end).join('\n') });
      i = end;
    }
  }
  return found;
}

/** Splits a snippet into its import lines and the rest; the library's name is mapped to its source. */
function split(code: string, from: string): { imports: string[]; body: string } {
  const lib = relative(from, join(ROOT, 'lib')).split('\\').join('/');
  const imports: string[] = [];
  const body: string[] = [];
  for (const line of code.split('\n')) {
    if (/^import .* from '[^']+';$/.test(line)) {
      imports.push(line.replace("from 'cdk-ipam-byoasn'", `from '${lib}'`));
    } else {
      body.push(line);
    }
  }
  return { imports, body: body.join('\n') };
}

/** One module per stack or script; returns the files written. */
function writeModules(): { file: string; document: string; isStack: boolean; lines: string }[] {
  const modules: { file: string; document: string; isStack: boolean; lines: string }[] = [];
  for (const document of DOCUMENTS) {
    const snippets = snippetsOf(document);
    const stackSnippets = snippets.filter((s) => /\bthis\b/.test(s.code));
    const name = document.replace(/[^A-Za-z0-9]+/g, '-');
    if (stackSnippets.length > 0) {
      const parts = stackSnippets.map((s) => split(s.code, WORK));
      const imports = [...new Set(["import { Stack } from 'aws-cdk-lib';", "import { Construct } from 'constructs';", ...parts.flatMap((p) => p.imports)])];
      const file = join(WORK, `${name}-stack.ts`);
      writeFileSync(file, [
        ...imports,
        'export class SnippetStack extends Stack {',
        '  constructor(scope: Construct, id: string) {',
        '    super(scope, id);',
        ...parts.map((p) => p.body),
        '  }',
        '}',
        '',
      ].join('\n'));
      modules.push({ file, document, isStack: true, lines: stackSnippets.map((s) => s.line).join(', ') });
    }
    snippets.filter((s) => !stackSnippets.includes(s)).forEach((s, i) => {
      const { imports, body } = split(s.code, WORK);
      const file = join(WORK, `${name}-script${i}.ts`);
      // A script is checked as a function body, so that it runs only if called (it may read files the user has).
      writeFileSync(file, [...imports, 'export async function script(): Promise<void> {', body, '}', ''].join('\n'));
      modules.push({ file, document, isStack: false, lines: String(s.line) });
    });
  }
  return modules;
}

describe('the documentation\'s TypeScript snippets', () => {
  let modules: ReturnType<typeof writeModules>;

  beforeAll(() => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
    modules = writeModules();
  });

  afterAll(() => {
    rmSync(WORK, { recursive: true, force: true });
  });

  test('are found in the README and the docs', () => {
    expect(modules.filter((m) => m.document === 'README.md' && m.isStack)).toHaveLength(1);
    expect(modules.filter((m) => m.document.startsWith('docs/')).length).toBeGreaterThanOrEqual(2);
  });

  test('type-check against the library', () => {
    const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    });
    const program = ts.createProgram(modules.map((m) => m.file), { ...config!.options, noEmit: true, noUnusedLocals: false });
    const problems = ts.getPreEmitDiagnostics(program)
      .filter((d) => d.file === undefined || d.file.fileName.startsWith(WORK))
      .map((d) => {
        const where = d.file ? `${relative(ROOT, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : '';
        return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
    expect(problems).toEqual([]);
  }, 60_000);

  test('synthesize: every stack of snippets, with no error and only documentation-value warnings', () => {
    for (const m of modules.filter((x) => x.isStack)) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { SnippetStack } = require(m.file) as { SnippetStack: new (scope: App, id: string) => Stack };
      const app = new App();
      const stack = new SnippetStack(app, 'Snippets');
      const template = Template.fromStack(stack);
      expect(Object.keys(template.findResources('Custom::IpamByoasn')).length).toBeGreaterThan(0);
      const annotations = Annotations.fromStack(stack);
      expect(annotations.findError('*', Match.anyValue())).toEqual([]);
      const warnings = annotations.findWarning('*', Match.anyValue()).map((w) => String(w.entry.data));
      if (m.document === 'README.md') {
        // The README acknowledges the documentation-value warnings as it tells users to (section Input checks).
        expect(warnings).toEqual([]);
      } else {
        expect(warnings.filter((w) => !w.includes('documentation'))).toEqual([]);
      }
    }
  });
});
