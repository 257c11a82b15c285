import { defineConfig } from '@hey-api/openapi-ts';

// The fetch client, the types and one function per operation, from the committed spec.
export default defineConfig({
  input: '../../openapi.json',
  output: 'src/generated',
  plugins: ['@hey-api/client-fetch', '@hey-api/typescript', '@hey-api/sdk'],
});
