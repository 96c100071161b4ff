import assert from 'node:assert/strict';
import cv = require('../../../../drivers/opencv');
import { randomPlateDesign, renderPlate, type PlateDesign } from '../../../../drivers/camera/synthetic/plate-render';
import { PLATE_FORMATS, randomPlateText } from '../../../../drivers/camera/synthetic/plate-text';
import { Random } from '../../../../drivers/camera/synthetic/random';
import { regionStats } from './pixels';

const YELLOW_BGR = [60, 206, 250] as const;
const NAVY_BGR = [80, 28, 16] as const;

function design(overrides: Partial<PlateDesign> = {}): PlateDesign {
  const rng = new Random(8);
  return { ...randomPlateDesign(rng, randomPlateText(rng)), display: 'ABC 1234', ...overrides };
}

/** Share of pixels in the character band that differ from the plate background by more than 60 levels. */
function inkShare(plate: cv.Mat, background: number): number {
  const data = plate.getData();
  const { cols, rows } = plate;
  let ink = 0;
  let n = 0;
  for (let y = Math.round(rows * 0.32); y < Math.round(rows * 0.72); y += 1) {
    for (let x = Math.round(cols * 0.1); x < Math.round(cols * 0.9); x += 1) {
      const i = (y * cols + x) * 3;
      const grey = ((data[i] as number) + (data[i + 1] as number) + (data[i + 2] as number)) / 3;
      if (Math.abs(grey - background) > 60) ink += 1;
      n += 1;
    }
  }
  return ink / n;
}

describe('renderPlate', () => {
  it('draws a 2:1 BGR plate of the asked width', () => {
    const plate = renderPlate(design(), 'day', 320);
    assert.equal(plate.type, cv.CV_8UC3);
    assert.deepEqual([plate.cols, plate.rows], [320, 160]);
    const small = renderPlate(design(), 'night', 151);
    assert.deepEqual([small.cols, small.rows], [151, 76]);
  });

  it('shows the day look in colour and the night look in grey, the sheeting bright', () => {
    const d = design({ background: YELLOW_BGR, ink: NAVY_BGR });
    const day = renderPlate(d, 'day', 300);
    const night = renderPlate(d, 'night', 300);
    const whole = { x: 0, y: 0, width: 300, height: 150 };
    assert.ok(regionStats(day.getData(), 300, whole).channelSpread > 80, 'a yellow plate is coloured');
    const n = regionStats(night.getData(), 300, whole);
    assert.equal(n.channelSpread, 0, 'the IR look has no colour');
    // The bright sheeting dominates the plate.
    assert.ok(n.mean > 150, `night plate mean ${n.mean}`);
  });

  it('draws characters that stand out from the plate in both looks', () => {
    for (const look of ['day', 'night'] as const) {
      const d = design({ background: [242, 246, 246], ink: NAVY_BGR, border: null, header: null, footer: null, sticker: null });
      const plate = renderPlate(d, look, 320);
      // Left of the characters, below the bolt holes: bare sheeting.
      const corner = regionStats(plate.getData(), 320, { x: 2, y: 50, width: 12, height: 60 }).mean;
      const share = inkShare(plate, corner);
      assert.ok(share > 0.15 && share < 0.7, `${look}: ${Math.round(share * 100)}% of the character band is ink`);
    }
  });

  it('draws the same plate for the same design and a different one for different text', () => {
    const a = renderPlate(design(), 'day', 240).getData();
    assert.ok(a.equals(renderPlate(design(), 'day', 240).getData()));
    assert.ok(!a.equals(renderPlate(design({ display: 'XYZ 9876' }), 'day', 240).getData()));
  });

  it('varies colours, fonts and lines across random designs', () => {
    const rng = new Random(2);
    const backgrounds = new Set<string>();
    const fonts = new Set<number>();
    let headers = 0;
    let footers = 0;
    for (let i = 0; i < 200; i += 1) {
      const d = randomPlateDesign(rng, randomPlateText(rng, PLATE_FORMATS));
      backgrounds.add(d.background.join(','));
      fonts.add(d.font);
      if (d.header) headers += 1;
      if (d.footer) footers += 1;
    }
    assert.ok(backgrounds.size >= 4, `${backgrounds.size} backgrounds`);
    assert.ok(fonts.size >= 2);
    assert.ok(headers > 150 && footers > 50 && footers < 150, `${headers} headers, ${footers} footers`);
  });

  it('refuses a plate too small to draw', () => {
    assert.throws(() => renderPlate(design(), 'day', 20), /plate width must be an integer >= 40/);
  });
});
