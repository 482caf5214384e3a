// ESLint flat config: typescript-eslint's recommended rules over every TypeScript file of the project.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['node_modules/**', 'assets/**', 'cdk.out/**', '**/cdk.out/**', 'coverage/**', '**/*.js', '**/*.d.ts', 'test/**/*.snapshot/**', 'test/.snippets/**', 'reports/**'],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
