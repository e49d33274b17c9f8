// hls.js's "light" build has the same API as the full one; its package names no types for it.
declare module 'hls.js/light' {
  export { default } from 'hls.js';
}
