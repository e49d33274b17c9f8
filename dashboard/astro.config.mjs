// The dashboard is a static site served by the appliance itself under /ui/ (same origin as the API,
// so the session cookie and the CSRF cookie just work). The build goes into the Python package.
import { defineConfig } from 'astro/config';

export default defineConfig({
  base: '/ui',
  trailingSlash: 'always',
  outDir: process.env.DASHBOARD_OUT_DIR || '../securitycam/dashboard',
  build: { format: 'directory', assets: '_astro', inlineStylesheets: 'never' },
  compressHTML: true,
  devToolbar: { enabled: false },
  vite: {
    build: { assetsInlineLimit: 0 },
    // `npm run dev` against a local `securitycam serve` on port 5005.
    server: {
      proxy: Object.fromEntries(
        ['/auth', '/events', '/archive', '/cameras', '/recording', '/snapshot', '/snapshots', '/snapshot_image',
          '/thumbnail', '/sprite', '/video', '/sensor', '/sensors', '/storage', '/timelapse', '/system', '/system_info',
          '/system_stats', '/system_alert_state', '/deploy_info', '/logs', '/settings', '/bt', '/devices', '/api',
          '/captive-portal', '/vod']
          .map((path) => [path, 'http://127.0.0.1:5005']),
      ),
    },
  },
});
