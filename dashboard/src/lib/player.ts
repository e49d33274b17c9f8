/**
 * HLS playback of an event (`/vod/event/<id>/index.m3u8`, the appliance's kept segments, never
 * re-encoded). hls.js (its "light" build: no subtitles, alternate audio or DRM, which recorded
 * footage never has) is imported on the first play, so only a page that plays video loads it, and
 * only when it does. A browser that plays HLS itself and has no MediaSource (iOS Safari) gets the
 * playlist as the video's source. The `<video>` element's own cookie (`media_token`) authenticates
 * the playlist and its segments.
 */
import type HlsType from 'hls.js';

export interface Playback {
  /** Stop loading and free the decoder. */
  destroy(): void;
}

export function eventPlaylist(eventId: string): string {
  return `/vod/event/${encodeURIComponent(eventId)}/index.m3u8`;
}

/**
 * Play `url` in `video`. `stillWanted` is asked once hls.js has loaded: when the user picked
 * another event meanwhile it answers false, and nothing is attached (two players on one video
 * would fight over it).
 */
export async function playHls(video: HTMLVideoElement, url: string, onError: (message: string) => void,
  stillWanted: () => boolean = () => true): Promise<Playback> {
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
  const hls = new Hls({ maxBufferLength: 30, backBufferLength: 30 });
  hls.on(Hls.Events.ERROR, (_event, data) => {
    if (!data.fatal) return;
    const status = (data.response as { code?: number } | undefined)?.code;
    onError(status === 404 ? 'no footage kept for this event' : `playback failed (${data.details})`);
    hls.destroy();
  });
  hls.loadSource(url);
  hls.attachMedia(video);
  return { destroy: () => hls.destroy() };
}
