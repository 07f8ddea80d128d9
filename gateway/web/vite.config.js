// Vite build for the CRM web shell.
// Output goes to gateway/gateway/static/app/ (build output, gitignored);
// the gateway serves index.html for every non-API path and the assets under /static/app/.
import { fileURLToPath } from 'node:url'
import { resolve } from 'node:path'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

const here = fileURLToPath(new URL('.', import.meta.url))
const outDir = resolve(here, '../gateway/static/app')

export default defineConfig({
  base: '/static/app/',
  plugins: [
    vue({ features: { optionsAPI: false, prodDevtools: false } }),
  ],
  define: {
    __VUE_I18N_FULL_INSTALL__: 'true',
    __VUE_I18N_LEGACY_API__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
    __INTLIFY_DROP_MESSAGE_COMPILER__: 'false',
  },
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: false,
    reportCompressedSize: false,
    // ECharts is lazy-loaded with the dashboard page only; its chunk is large by nature.
    chunkSizeWarningLimit: 800,
  },
  server: {
    // `npm run dev` proxies the API to a locally running gateway.
    proxy: { '/api': { target: process.env.CRM_GATEWAY_URL || 'http://127.0.0.1:8000', changeOrigin: true } },
  },
})
