/**
 * Hover, drag or arrow-key scrubbing through a clip's sprite: one JPEG strip of `frames` frames
 * side by side (the recorder makes 1600×90, 10 frames of 160×90). The strip is shown as the
 * background of an overlay over the thumbnail, sized to `frames × 100 %` wide, and moved so that the
 * frame under the pointer's x position shows. The sprite is only fetched at the first scrub.
 * `touch-action: pan-y` on the element lets a horizontal drag scrub while a vertical one scrolls.
 */

export const SPRITE_FRAMES = 10;

export function attachScrub(element: HTMLElement, spriteUrl: string, frames = SPRITE_FRAMES): void {
  const overlay = document.createElement('span');
  overlay.className = 'scrub';
  overlay.setAttribute('aria-hidden', 'true');
  const marker = document.createElement('span');
  marker.className = 'scrub-bar';
  overlay.append(marker);
  element.append(overlay);
  element.style.touchAction = 'pan-y';
  let frame = 0;

  const show = (index: number) => {
    frame = Math.max(0, Math.min(frames - 1, index));
    if (!overlay.style.backgroundImage) overlay.style.backgroundImage = `url("${spriteUrl}")`;
    overlay.style.backgroundSize = `${frames * 100}% 100%`;
    overlay.style.backgroundPosition = `${(frame * 100) / (frames - 1)}% 0`;
    marker.style.width = `${((frame + 1) * 100) / frames}%`;
    overlay.classList.add('on');
    element.dataset.scrubFrame = String(frame);
  };
  const hide = () => {
    overlay.classList.remove('on');
    delete element.dataset.scrubFrame;
  };
  const fromPointer = (event: PointerEvent) => {
    const box = element.getBoundingClientRect();
    show(Math.floor(((event.clientX - box.left) / box.width) * frames));
  };

  element.addEventListener('pointermove', fromPointer);
  element.addEventListener('pointerdown', fromPointer);
  element.addEventListener('pointerleave', hide);
  element.addEventListener('pointercancel', hide);
  element.addEventListener('blur', hide);
  element.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    event.preventDefault();
    const start = overlay.classList.contains('on') ? frame : event.key === 'ArrowRight' ? -1 : frames;
    show(start + (event.key === 'ArrowRight' ? 1 : -1));
  });
}
