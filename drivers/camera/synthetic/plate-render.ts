import cv = require('../../opencv');
import type { PlateText } from './plate-text';
import type { Random } from './random';
import { PLATE_ASPECT, type Lighting } from './traffic-scene';

/**
 * Draws a US-style plate with OpenCV's Hershey fonts: condensed, heavy main characters with an
 * embossed shadow, a state line on top, sometimes a slogan below, a border, bolt holes and a
 * registration sticker. The day look is in colour; the night look is what an IR camera sees:
 * grey, the retroreflective sheeting bright, inks dark by how much infrared they absorb.
 */

/** Blue, green, red, the order OpenCV keeps channels in. */
export type Bgr = readonly [number, number, number];

/** Colour helpers, shared with the traffic renderer. */
export const rgb = (r: number, g: number, b: number): Bgr => [b, g, r];
export const level = (v: number): number => Math.round(Math.max(0, Math.min(255, v)));
export const grey = (v: number): Bgr => [level(v), level(v), level(v)];
export const shade = (c: Bgr, f: number): Bgr => [level(c[0] * f), level(c[1] * f), level(c[2] * f)];
export const luma = (c: Bgr): number => 0.114 * c[0] + 0.587 * c[1] + 0.299 * c[2];
export const vec = (c: Bgr): cv.Vec3 => new cv.Vec3(c[0], c[1], c[2]);

export interface PlateTextLine {
  text: string;
  color: Bgr;
  font: number;
}

export interface PlateDesign {
  /** What the plate shows, separator included. */
  display: string;
  background: Bgr;
  ink: Bgr;
  /** Null: no printed border, only the plate's edge. */
  border: Bgr | null;
  header: PlateTextLine | null;
  footer: PlateTextLine | null;
  /** Hershey face of the main characters. */
  font: number;
  sticker: Bgr | null;
}


const BACKGROUNDS: readonly Bgr[] = [
  rgb(246, 246, 242),
  rgb(244, 238, 214),
  rgb(250, 206, 60),
  rgb(196, 222, 244),
  rgb(232, 234, 236),
];
const YELLOW = BACKGROUNDS[2] as Bgr;
const INKS: readonly Bgr[] = [rgb(22, 40, 120), rgb(20, 20, 22), rgb(150, 22, 30), rgb(18, 92, 42), rgb(16, 28, 80)];
const DARK_INKS: readonly Bgr[] = [rgb(22, 40, 120), rgb(20, 20, 22), rgb(16, 28, 80)];
const ACCENTS: readonly Bgr[] = [rgb(190, 30, 40), rgb(22, 40, 120), rgb(20, 20, 22), rgb(18, 92, 42)];
const STICKERS: readonly Bgr[] = [rgb(230, 60, 60), rgb(60, 160, 70), rgb(240, 200, 40), rgb(60, 90, 200), rgb(240, 140, 40)];
const SLOGANS: readonly string[] = [
  'DMV.CA.GOV',
  'EMPIRE STATE',
  'SUNSHINE STATE',
  'KEYSTONE STATE',
  'LAND OF LINCOLN',
  'GARDEN STATE',
  'GREAT LAKES',
  'THE LONE STAR STATE',
  'PEACH STATE',
  'LIVE FREE OR DIE',
  'VISIT OUR PARKS',
];
const MAIN_FONTS: readonly number[] = [cv.FONT_HERSHEY_SIMPLEX, cv.FONT_HERSHEY_DUPLEX];
const HEADER_FONTS: readonly number[] = [
  cv.FONT_HERSHEY_DUPLEX,
  cv.FONT_HERSHEY_TRIPLEX,
  cv.FONT_HERSHEY_SCRIPT_SIMPLEX,
  cv.FONT_HERSHEY_SIMPLEX,
];

export function randomPlateDesign(rng: Random, plate: PlateText): PlateDesign {
  const background = rng.pick(BACKGROUNDS);
  const ink = background === YELLOW ? rng.pick(DARK_INKS) : rng.pick(INKS);
  const accent = rng.chance(0.5) ? ink : rng.pick(ACCENTS);
  return {
    display: plate.display,
    background,
    ink,
    border: rng.chance(0.65) ? rng.pick([ink, accent]) : null,
    header: rng.chance(0.92) ? { text: plate.region, color: accent, font: rng.pick(HEADER_FONTS) } : null,
    footer: rng.chance(0.5) ? { text: rng.pick(SLOGANS), color: rng.pick([ink, accent]), font: cv.FONT_HERSHEY_SIMPLEX } : null,
    font: rng.pick(MAIN_FONTS),
    sticker: rng.chance(0.5) ? rng.pick(STICKERS) : null,
  };
}


/** The design as an IR camera sees it under its own illuminator. */
function infraredDesign(d: PlateDesign): PlateDesign {
  // Sheeting sends the IR straight back; carbon inks absorb it, dyes (reds) less so.
  const sheeting = grey(205 + 0.12 * luma(d.background));
  const inkOf = (c: Bgr): Bgr => grey(Math.min(100, 25 + 0.5 * luma(c) + 0.15 * c[2]));
  const line = (l: PlateTextLine | null): PlateTextLine | null => (l ? { ...l, color: inkOf(l.color) } : null);
  return {
    ...d,
    background: sheeting,
    ink: inkOf(d.ink),
    border: d.border ? inkOf(d.border) : null,
    header: line(d.header),
    footer: line(d.footer),
    sticker: d.sticker ? grey(150 + 0.2 * luma(d.sticker)) : null,
  };
}


/**
 * A Mat of one colour. The binding's fill-value constructor sets pixels one by one through V8
 * (tens of ms for a plate, hundreds for a frame); setTo is a native fill.
 */
export function solidMat(rows: number, cols: number, type: number, value: number | Bgr): cv.Mat {
  const mat = new cv.Mat(rows, cols, type);
  return mat.setTo(typeof value === 'number' ? value : vec(value));
}

/** Bounds of the non-zero pixels of a one-channel mask. */
function inkBounds(mask: cv.Mat): cv.Rect {
  const data = mask.getData();
  const { rows, cols } = mask;
  let [x0, y0, x1, y1] = [cols, rows, -1, -1];
  for (let y = 0; y < rows; y += 1) {
    const row = y * cols;
    for (let x = 0; x < cols; x += 1) {
      if (data[row + x] !== 0) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? new cv.Rect(0, 0, cols, rows) : new cv.Rect(x0, y0, x1 - x0 + 1, y1 - y0 + 1);
}

/**
 * The main characters as a white-on-black mask exactly `width` x `height`: drawn large with a
 * heavy stroke, cropped to the ink, then squeezed sideways into the condensed plate lettering.
 */
function mainTextMask(display: string, font: number, width: number, height: number): cv.Mat {
  const scale = 4;
  const thickness = font === cv.FONT_HERSHEY_DUPLEX ? 13 : 15;
  const { size } = cv.getTextSize(display, font, scale, thickness);
  const pad = thickness * 2;
  const canvas = solidMat(size.height + 2 * pad, size.width + 2 * pad, cv.CV_8UC1, 0);
  canvas.putText(display, new cv.Point2(pad, pad + size.height), font, scale, new cv.Vec3(255, 255, 255), thickness, cv.LINE_8);
  const ink = canvas.getRegion(inkBounds(canvas));
  const squeezed = ink.resize(height, width, 0, 0, cv.INTER_AREA);
  const mask = squeezed.threshold(127, 255, cv.THRESH_BINARY);
  for (const m of [canvas, ink, squeezed]) m.release();
  return mask;
}

/** Small centred text line with its cap height about `capHeight`. */
function putCentred(plate: cv.Mat, line: PlateTextLine, centerY: number, capHeight: number, maxWidth: number): void {
  const unit = cv.getTextSize('A', line.font, 1, 1).size.height;
  let scale = capHeight / unit;
  const thickness = Math.max(1, Math.round(capHeight / 9));
  let { size } = cv.getTextSize(line.text, line.font, scale, thickness);
  if (size.width > maxWidth) {
    scale *= maxWidth / size.width;
    size = cv.getTextSize(line.text, line.font, scale, thickness).size;
  }
  const origin = new cv.Point2(Math.round((plate.cols - size.width) / 2), Math.round(centerY + size.height / 2));
  plate.putText(line.text, origin, line.font, scale, vec(line.color), thickness, cv.LINE_8);
}

/**
 * The plate as a BGR Mat `width` x `width / 2`. It is drawn at twice that size and reduced, so
 * edges come out anti-aliased the way a lens would render them.
 */
export function renderPlate(design: PlateDesign, lighting: Lighting, width: number): cv.Mat {
  if (!Number.isInteger(width) || width < 40) throw new RangeError(`plate width must be an integer >= 40, got ${width}`);
  const d = lighting === 'night' ? infraredDesign(design) : design;
  const W = width * 2;
  const H = Math.round(W / PLATE_ASPECT);
  const plate = solidMat(H, W, cv.CV_8UC3, d.background);

  if (d.border) {
    const t = Math.max(2, Math.round(H * 0.025));
    const inset = Math.round(H * 0.035);
    plate.drawRectangle(new cv.Point2(inset, inset), new cv.Point2(W - 1 - inset, H - 1 - inset), vec(d.border), t, cv.LINE_AA);
  }
  const holeColour = vec(shade(d.background, 0.45));
  for (const x of [0.2 * W, 0.8 * W]) {
    plate.drawCircle(new cv.Point2(Math.round(x), Math.round(0.09 * H)), Math.max(2, Math.round(0.025 * H)), holeColour, -1, cv.LINE_AA);
  }
  if (d.sticker) {
    const s = Math.round(0.16 * H);
    const x = Math.round(0.06 * W);
    const y = Math.round(0.06 * H);
    plate.drawRectangle(new cv.Point2(x, y), new cv.Point2(x + Math.round(s * 1.3), y + s), vec(d.sticker), -1, cv.LINE_AA);
  }
  if (d.header) putCentred(plate, d.header, 0.14 * H, 0.12 * H, 0.5 * W);
  if (d.footer) putCentred(plate, d.footer, 0.89 * H, 0.075 * H, 0.7 * W);

  // Main characters: about 46% of the plate height, centred a little below the middle.
  const textH = Math.round(0.46 * H);
  const natural = cv.getTextSize(d.display, d.font, 1, 1).size;
  const condensed = Math.round(((natural.width / natural.height) * textH) * 0.68);
  const textW = Math.min(Math.round(0.88 * W), condensed);
  const mask = mainTextMask(d.display, d.font, textW, textH);
  const x0 = Math.round((W - textW) / 2);
  const y0 = Math.round(0.52 * H - textH / 2);
  const shift = Math.max(1, Math.round(H * 0.012));
  // Embossed: a shadow below-right, a highlight above-left, then the ink on the raised face.
  const layer = (dx: number, dy: number, colour: Bgr): void => {
    const full = solidMat(H, W, cv.CV_8UC1, 0);
    const at = full.getRegion(new cv.Rect(x0 + dx, y0 + dy, textW, textH));
    mask.copyTo(at);
    plate.setTo(vec(colour), full);
    at.release();
    full.release();
  };
  layer(shift, shift, shade(d.background, 0.55));
  layer(-Math.max(1, shift >> 1), -Math.max(1, shift >> 1), shade(d.background, 1.08));
  layer(0, 0, d.ink);

  const out = plate.resize(Math.round(width / PLATE_ASPECT), width, 0, 0, cv.INTER_AREA);
  mask.release();
  plate.release();
  return out;
}
