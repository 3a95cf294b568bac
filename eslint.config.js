import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/coverage/**', '.test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error', 'warn'] }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // The web UI runs in the browser.
    files: ['packages/ui/app/**/*.{ts,tsx}', 'packages/ui/test/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Tests poke at untyped JSON answers.
    files: ['**/test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The route table erases each route's parameter types once they are checked by defineRoute.
    files: ['packages/http-express/src/route-definition.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
