// The dashboard is a static site served by the appliance itself under /ui/ (same origin as the API,
// so the session cookie and the CSRF cookie just work). The build goes into the Python package.
import http from 'node:http';
import { defineConfig } from 'astro/config';

const BASE = '/ui';
const APPLIANCE = new URL(process.env.SECURITYCAM_API || 'http://127.0.0.1:5005');
// What the dev server answers itself: the site, Vite's client and modules, the sources.
const DEV_SERVER_OWN = /^\/(?:ui(?:\/|$|\?)|@|node_modules\/|src\/|\.well-known\/)/;

/**
 * `npm run dev` sends every other request to a local `securitycam serve` (SECURITYCAM_API, port
 * 5005 by default), so a route a page starts calling needs no entry here. Vite's `server.proxy`
 * cannot do it: Astro puts its trailing-slash and base checks in front of every middleware, which
 * answer 404 to `/auth/me` before a proxy sees it; this middleware goes in front of those.
 */
function applianceProxy() {
  return {
    name: 'securitycam-appliance-proxy',
    apply: 'serve',
    configureServer(server) {
      const forward = (req, res, next) => {
        if (DEV_SERVER_OWN.test(req.url)) return next();
        const upstream = http.request(
          { host: APPLIANCE.hostname, port: APPLIANCE.port, path: req.url, method: req.method, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode, answer.headers);
            answer.pipe(res); // streams (SSE, video) pass through as they come
          },
        );
        upstream.on('error', (error) => {
          if (res.headersSent) return res.destroy();
          res.writeHead(502, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ success: false, message: `no appliance at ${APPLIANCE.origin}: ${error.message}` }));
        });
        req.pipe(upstream);
      };
      // After Astro's own hooks have put their middlewares first.
      return () => server.middlewares.stack.unshift({ route: '', handle: forward });
    },
  };
}

export default defineConfig({
  base: BASE,
  trailingSlash: 'always',
  outDir: process.env.DASHBOARD_OUT_DIR || '../securitycam/dashboard',
  build: { format: 'directory', assets: '_astro', inlineStylesheets: 'never' },
  compressHTML: true,
  devToolbar: { enabled: false },
  vite: {
    build: { assetsInlineLimit: 0 },
    plugins: [applianceProxy()],
  },
});
