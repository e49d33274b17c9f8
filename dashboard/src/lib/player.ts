/**
 * HLS playback, the one hls.js setup of the dashboard: an event's footage
 * (`/vod/event/<id>/index.m3u8`, the appliance's kept segments, never re-encoded) and a camera's
 * live MediaMTX stream. hls.js (its "light" build: no subtitles, alternate audio or DRM, which a
 * camera never sends) is imported on the first play, so only a page that plays video loads it,
 * and only when it does. A browser that plays HLS itself and has no MediaSource (iOS Safari) gets
 * the playlist as the video's source. The `<video>` element's own cookie (`media_token`)
 * authenticates the playlist and its segments.
 */
import type HlsType from 'hls.js';

export interface Playback {
  /** Stop loading and free the decoder. */
  destroy(): void;
}

export function eventPlaylist(eventId: string): string {
  return `/vod/event/${encodeURIComponent(eventId)}/index.m3u8`;
}

export interface PlayOptions {
  /** Asked once hls.js has loaded: when the user picked another item meanwhile it answers false,
   *  and nothing is attached (two players on one video would fight over it). */
  stillWanted?: () => boolean;
  /** A live stream: play two segments behind its live edge rather than hls.js's three. */
  live?: boolean;
  /** What `onError` says when the playlist is not there (404). */
  notFound?: string;
}

/** Play `url` in `video`; `onError` gets a sentence when it cannot (then nothing is playing). */
export async function playHls(video: HTMLVideoElement, url: string, onError: (message: string) => void,
  { stillWanted = () => true, live = false, notFound = 'no video here' }: PlayOptions = {}): Promise<Playback> {
  const native = video.canPlayType('application/vnd.apple.mpegurl') !== '' && !('MediaSource' in window);
  if (native) {
    video.src = url;
    return { destroy: () => video.removeAttribute('src') };
  }
  const { default: Hls } = (await import('hls.js/light')) as { default: typeof HlsType };
  if (!stillWanted()) return { destroy: () => undefined };
  if (!Hls.isSupported()) {
    onError('this browser cannot play HLS video');
    return { destroy: () => undefined };
  }
  const hls = new Hls(live ? { liveSyncDurationCount: 2 } : { maxBufferLength: 30, backBufferLength: 30 });
  hls.on(Hls.Events.ERROR, (_event, data) => {
    if (!data.fatal) return;
    const status = (data.response as { code?: number } | undefined)?.code;
    onError(status === 404 ? notFound : `playback failed (${data.details})`);
    hls.destroy();
  });
  hls.loadSource(url);
  hls.attachMedia(video);
  return { destroy: () => hls.destroy() };
}
